/**
 * The durable outbox port and its shared core. Records get a per-agent seq that never repeats: the high-water mark is
 * the larger of the highest stored seq and the meta counter, which is saved in the same transaction as every delete
 * (ack or drop), so no commit can lower it. Records leave the outbox only when the control plane acks them,
 * or when the size bound drops the oldest ones — which is itself recorded as an `outbox.dropped` event.
 *
 * Cost per cycle (the agent appends one sample every cycle and gets one ack back): an append within the bound is one
 * prepared INSERT committed on its own, with the durability `outbox.synchronous` configures; an ack is one
 * transaction that is not synced by itself (acked records are reconstructible: at worst they are replayed and the
 * control plane drops the duplicates), so it reaches the disk with the next synced append.
 */
import {
  DROPPED_EVENT_TYPE,
  type DroppedData,
  type OutboxKind,
  type OutboxLimits,
  type OutboxRecord,
  type OutboxStats,
  mergeRanges,
} from './record.ts';
import { agentEvent } from '../../../contract/protocol/events.ts';

/** Inclusive seq range. */
export type SeqRange = readonly [number, number];

/** The outbox port. Synchronous: both implementations are in-process and an append must be atomic. */
export interface OutboxStore {
  /** Stores a payload (an object without `seq`) and returns the record with its new seq. */
  append(kind: OutboxKind, payload: { ts: number } & Record<string, unknown>): OutboxRecord;
  /** Up to `limit` records with seq > `afterSeq` (default 0), in seq order. */
  peek(limit: number, afterSeq?: number): OutboxRecord[];
  /** Removes the records in the ranges; returns how many were removed (unknown seqs are ignored). */
  ack(ranges: readonly SeqRange[]): number;
  /**
   * The link published every record up to `seq` at least once. A drop event published may still arrive (from a
   * connection that looked dead, or a socket's send buffer after a partition heals), so the size bound does not remove
   * or fold one (up to half of maxRecords of them): it stays until acked, and delivered drop events stay disjoint.
   */
  markSent(seq: number): void;
  stats(): OutboxStats;
  close(): void;
}

/** Storage primitives an implementation provides; the drop/seq policy lives in {@link createOutbox}. */
export interface OutboxBackend {
  /**
   * Runs `fn` atomically. `durable: false` may skip the sync at commit (process-crash safe, and durable once a later
   * synced commit lands): used for acks, whose loss only causes a replay.
   */
  transaction<T>(fn: () => T, options?: { durable?: boolean }): T;
  /** Persisted counters (lastSeq: max of the meta counter and the highest stored seq); counts from the stored rows. */
  load(): { lastSeq: number; droppedTotal: number; depth: number; bytes: number };
  saveMeta(lastSeq: number, droppedTotal: number): void;
  /** Stores one record; outside a transaction it commits on its own (one statement, synced as configured). */
  insert(record: OutboxRecord): void;
  /** Oldest records in seq order, starting after `afterSeq`. */
  range(afterSeq: number, limit: number): OutboxRecord[];
  /** Deletes every record with seq in [from, to]; returns the count and bytes removed. */
  deleteRange(from: number, to: number): { count: number; bytes: number };
  close(): void;
}

const DEFAULT_LOW_WATER = 0.9;

/**
 * Published drop events the bound keeps, as a share of maxRecords: past it the newer ones are folded after all (their
 * ranges may then be reported twice if they arrive late), so the bound holds whatever the link does.
 */
const KEPT_SHARE = 0.5;

/** Records kept in memory for the link's next peek (the tail of the outbox). */
const TAIL_RECORDS = 256;

/** Builds an {@link OutboxStore} over a backend, enforcing the bound with drop-oldest accounting. */
export function createOutbox(backend: OutboxBackend, limits: OutboxLimits): OutboxStore {
  if (!(limits.maxRecords >= 2)) throw new RangeError(`outbox.maxRecords must be >= 2, got ${limits.maxRecords}`);
  if (!(limits.maxBytes >= 1024)) throw new RangeError(`outbox.maxBytes must be >= 1024, got ${limits.maxBytes}`);
  const lowWater = limits.lowWater ?? DEFAULT_LOW_WATER;
  const maxKept = Math.floor(limits.maxRecords * KEPT_SHARE);
  let { lastSeq, droppedTotal, depth, bytes } = backend.load();
  let closed = false;
  // Highest seq published at least once. After a restart every stored record may have been published by the
  // previous process (its socket may still deliver), so the floor starts at the stored high-water mark.
  let sentFloor = lastSeq;
  // The tail: every stored record with seq > tailFloor, in seq order (the last TAIL_RECORDS appended by this process
  // and not yet acked or dropped). The link peeks for what it has not sent yet after every append; the tail answers
  // that without a query (reading back the row just inserted was a tenth of the agent's cycle). Older records, after
  // a restart or a reconnect's replay, come from the backend.
  let tail: OutboxRecord[] = [];
  let tailFloor = lastSeq;
  const forgetTail = () => {
    tail = [];
    tailFloor = lastSeq;
  };

  function insert(kind: OutboxKind, payload: Record<string, unknown> & { ts: number }): OutboxRecord {
    const json = JSON.stringify(payload);
    const record: OutboxRecord = { seq: lastSeq + 1, kind, ts: payload.ts, json, bytes: Buffer.byteLength(json) };
    backend.insert(record);
    lastSeq = record.seq;
    depth += 1;
    bytes += record.bytes;
    tail.push(record);
    if (tail.length > TAIL_RECORDS) tailFloor = tail.shift()!.seq;
    return record;
  }

  /** Drops oldest records down to the low-water mark, folding earlier drop events into the new accounting. */
  function enforceBound(ts: number): void {
    if (depth <= limits.maxRecords && bytes <= limits.maxBytes) return;
    // Leave room for the drop event itself (one record, a few hundred bytes).
    const targetRecords = Math.max(1, Math.floor(limits.maxRecords * lowWater) - 1);
    const targetBytes = Math.floor(limits.maxBytes * lowWater) - 512;
    const acc: DroppedData = { count: 0, fromSeq: 0, toSeq: 0, bytes: 0, ranges: [], folded: 0 };
    const lostRanges: [number, number][] = [];
    // Contiguous stretches of removed rows (kept rows split them: deleteRange removes every stored seq in a span).
    const removedSpans: [number, number][] = [];
    let spanOpen = false;
    let kept = 0;
    let fresh = 0; // records lost now (folded drop events were already counted)
    let cursor = 0;
    let remainingDepth = depth;
    let remainingBytes = bytes;
    outer: while (remainingDepth > targetRecords || remainingBytes > targetBytes) {
      const rows = backend.range(cursor, 256);
      if (rows.length === 0) break;
      for (const row of rows) {
        if (remainingDepth <= targetRecords && remainingBytes <= targetBytes) break outer;
        cursor = row.seq;
        const prior = row.kind === 'event' ? priorDrop(row.json) : null;
        if (prior && row.seq <= sentFloor && kept < maxKept) {
          kept += 1;
          spanOpen = false; // a published drop event stays (see markSent): it ends the current span
          continue;
        }
        if (spanOpen) removedSpans.at(-1)![1] = row.seq;
        else removedSpans.push([row.seq, row.seq]);
        spanOpen = true;
        remainingDepth -= 1;
        remainingBytes -= row.bytes;
        const count = prior ? prior.count : 1;
        if (!prior) fresh += 1;
        const from = prior ? prior.fromSeq : row.seq;
        const to = prior ? prior.toSeq : row.seq;
        // the removed row itself (a record, or an earlier drop event) and what a folded event accounted for
        lostRanges.push([row.seq, row.seq]);
        if (prior) {
          acc.folded += 1 + (prior.folded ?? 0);
          lostRanges.push(...(prior.ranges ?? [[prior.fromSeq, prior.toSeq]]));
        }
        acc.count += count;
        acc.bytes += prior ? prior.bytes : row.bytes;
        acc.fromSeq = acc.fromSeq === 0 ? from : Math.min(acc.fromSeq, from);
        acc.toSeq = Math.max(acc.toSeq, to);
      }
    }
    const spans = removedSpans;
    if (spans.length === 0) return;
    for (const [from, to] of spans) {
      const removed = backend.deleteRange(from, to);
      depth -= removed.count;
      bytes -= removed.bytes;
    }
    const gone = (seq: number) => spans.some(([a, b]) => seq >= a && seq <= b);
    if (tail.length > 0 && tail[0]!.seq <= cursor) tail = tail.filter((r) => !gone(r.seq));
    droppedTotal += fresh;
    acc.ranges = mergeRanges(lostRanges);
    acc.fromSeq = acc.ranges[0]?.[0] ?? acc.fromSeq;
    acc.toSeq = Math.max(acc.toSeq, acc.ranges.at(-1)?.[1] ?? 0);
    insert(
      'event',
      agentEvent(DROPPED_EVENT_TYPE, {
        ts,
        severity: 'warning',
        message: `outbox full: dropped ${acc.count} oldest record(s), seq ${acc.fromSeq}..${acc.toSeq} in ${acc.ranges.length} range(s)${acc.folded ? `, ${acc.folded} earlier drop event(s) folded in` : ''}`,
        data: acc,
      }),
    );
  }

  return {
    append(kind, payload) {
      if (closed) throw new Error('outbox is closed');
      // Within the bound (every cycle in practice): one INSERT, no transaction around it; the stored seq is the
      // high-water mark. Over the bound, the drop runs in a transaction of its own that also saves the counters (a
      // crash between the two commits leaves one record too many, which the next append drops).
      const record = insert(kind, payload);
      if (depth > limits.maxRecords || bytes > limits.maxBytes) {
        try {
          backend.transaction(() => {
            enforceBound(payload.ts);
            backend.saveMeta(lastSeq, droppedTotal);
          });
        } catch (err) {
          forgetTail(); // rolled back: the tail may hold what the backend no longer does
          throw err;
        }
      }
      return record;
    },
    peek(limit, afterSeq = 0) {
      if (afterSeq < tailFloor) return backend.range(afterSeq, limit);
      let i = tail.length;
      while (i > 0 && tail[i - 1]!.seq > afterSeq) i--;
      return tail.slice(i, i + limit);
    },
    ack(ranges) {
      if (tail.length > 0) tail = tail.filter((r) => !ranges.some(([from, to]) => r.seq >= from && r.seq <= to));
      try {
        return ackInBackend(ranges);
      } catch (err) {
        forgetTail();
        throw err;
      }
    },
    markSent(seq) {
      sentFloor = Math.max(sentFloor, Math.min(seq, lastSeq));
    },
    stats() {
      return { depth, bytes, lastSeq, droppedTotal };
    },
    close() {
      if (closed) return;
      closed = true;
      backend.close();
    },
  };

  function ackInBackend(ranges: readonly SeqRange[]): number {
    return backend.transaction(
      () => {
        let n = 0;
        for (const [from, to] of ranges) {
          if (to < from) continue;
          const removed = backend.deleteRange(from, to);
          n += removed.count;
          depth -= removed.count;
          bytes -= removed.bytes;
        }
        // Deleting the newest records must not lower the persisted high-water mark.
        if (n > 0) backend.saveMeta(lastSeq, droppedTotal);
        return n;
      },
      { durable: false },
    );
  }
}

/** Reads an earlier `outbox.dropped` event's accounting so a new drop event can carry it forward. */
function priorDrop(json: string): DroppedData | null {
  if (!json.includes(DROPPED_EVENT_TYPE)) return null;
  const parsed = JSON.parse(json) as { type?: string; data?: DroppedData };
  return parsed.type === DROPPED_EVENT_TYPE && parsed.data ? parsed.data : null;
}
