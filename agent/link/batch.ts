/**
 * Cuts the next MQTT message out of the outbox: a run of same-kind records in seq order, bounded by count and bytes.
 * Telemetry allows up to 1000 samples per message and the broker 256 KiB per payload.
 */
import { MAX_PAYLOAD_BYTES } from '../../contract/protocol/index.ts';
import { withSeq, type OutboxKind, type OutboxRecord } from './outbox/record.ts';
import type { OutboxStore } from './outbox/store.ts';

/** Limits of one batch. Defaults: 500 records, 192 KiB. */
export type BatchLimits = { maxRecords?: number; maxBytes?: number };

/** One message ready to publish. */
export type Batch = { kind: OutboxKind; seqs: number[]; payload: string; lastSeq: number };

const maxRecordsOf = (limits: BatchLimits) => Math.min(limits.maxRecords ?? 500, 1000);

/** The next batch after `afterSeq`, or null when nothing is pending. */
export function nextBatch(outbox: OutboxStore, afterSeq: number, limits: BatchLimits = {}): Batch | null {
  return toBatch(outbox.peek(maxRecordsOf(limits), afterSeq), limits);
}

/**
 * The next batch of exactly the records in `seqs` (refused by the control plane, to be sent again), oldest first; the
 * seqs it takes, and those no longer in the outbox (acked or dropped meanwhile), leave `seqs`. Null when none is left.
 */
export function batchOf(outbox: OutboxStore, seqs: Set<number>, limits: BatchLimits = {}): Batch | null {
  while (seqs.size > 0) {
    const sorted = [...seqs].sort((a, b) => a - b);
    const rows = outbox.peek(maxRecordsOf(limits), sorted[0]! - 1);
    const last = rows.at(-1)?.seq ?? Number.POSITIVE_INFINITY;
    const present = new Set(rows.map((r) => r.seq));
    for (const s of sorted) {
      if (s > last) break;
      if (!present.has(s)) seqs.delete(s);
    }
    const batch = toBatch(
      rows.filter((r) => seqs.has(r.seq)),
      limits,
    );
    if (batch) {
      for (const s of batch.seqs) seqs.delete(s);
      return batch;
    }
  }
  return null;
}

function toBatch(rows: OutboxRecord[], limits: BatchLimits): Batch | null {
  const maxBytes = Math.min(limits.maxBytes ?? 192 * 1024, MAX_PAYLOAD_BYTES - 1024);
  const first = rows[0];
  if (!first) return null;
  const parts: string[] = [];
  const seqs: number[] = [];
  let size = 32;
  for (const row of rows) {
    if (row.kind !== first.kind) break;
    const part = withSeq(row);
    // Always take the first record, even if oversized, so one bad record cannot stall the link.
    if (seqs.length > 0 && size + part.length + 1 > maxBytes) break;
    parts.push(part);
    seqs.push(row.seq);
    size += part.length + 1;
  }
  const key = first.kind === 'telemetry' ? 'samples' : 'events';
  return { kind: first.kind, seqs, payload: `{"v":1,"${key}":[${parts.join(',')}]}`, lastSeq: seqs[seqs.length - 1]! };
}
