/**
 * What the outbox holds: telemetry samples and agent events, sharing one per-agent seq space.
 * The record kind decides the MQTT topic (`telemetry` or `events`).
 */

/** Record kinds; `telemetry` goes to `…/telemetry`, `event` to `…/events`. */
export type OutboxKind = 'telemetry' | 'event';

/** A stored record. `json` is the payload object WITHOUT `seq` (seq is spliced in when published). */
export type OutboxRecord = { seq: number; kind: OutboxKind; ts: number; json: string; bytes: number };

/** Limits of the outbox. When exceeded, the oldest records are dropped down to `lowWater` of each limit. */
export type OutboxLimits = { maxBytes: number; maxRecords: number; lowWater?: number };

/** Counters reported by {@link OutboxStore.stats}. */
export type OutboxStats = {
  depth: number;
  bytes: number;
  /** Highest seq ever issued (0 when none). */
  lastSeq: number;
  /** Records dropped by the size bound since the store was created (persisted). */
  droppedTotal: number;
};

import type { EventData, EventKind } from '../../../contract/protocol/events.ts';

/** Event type appended when the size bound drops records (a kind of the event catalogue). */
export const DROPPED_EVENT_TYPE = 'outbox.dropped' satisfies EventKind;

/**
 * Data of an `outbox.dropped` event (D1). `ranges` are the exact seqs removed from the outbox without an ack, sorted,
 * disjoint and merged: the lost records AND the seqs of earlier drop events folded into this one (with their ranges),
 * so the union of `ranges` over every delivered drop event, minus the seqs the control plane stored, is exactly the set
 * of seqs lost for good (a record already in flight when it was removed may still arrive). A drop event the link has
 * published is never folded (OutboxStore.markSent), so the ranges of delivered drop events are disjoint. `count` is the
 * number of lost records (folded drop events not counted), `folded` the number of earlier drop events folded in,
 * `fromSeq`/`toSeq` the span. Past {@link MAX_DROP_RANGES} ranges the smallest gaps are merged (a merged gap holds
 * only seqs that were acked or are reported by another drop event, so the union rule stays exact).
 */
export type DroppedData = {
  count: number;
  fromSeq: number;
  toSeq: number;
  bytes: number;
  ranges: [number, number][];
  folded: number;
} & EventData<'outbox.dropped'>;

/** Most ranges one drop event lists. */
export const MAX_DROP_RANGES = 256;

/** Sorts and merges inclusive ranges (adjacent ones join); then merges the smallest gaps past `max` ranges. Pure. */
export function mergeRanges(input: readonly (readonly [number, number])[], max = MAX_DROP_RANGES): [number, number][] {
  const sorted = input.map(([a, b]) => [a, b] as [number, number]).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const r of sorted) {
    const last = out.at(-1);
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push(r);
  }
  while (out.length > max) {
    let best = 1;
    for (let i = 2; i < out.length; i++) if (out[i]![0] - out[i - 1]![1] < out[best]![0] - out[best - 1]![1]) best = i;
    out[best - 1]![1] = out[best]![1];
    out.splice(best, 1);
  }
  return out;
}

/** Splices `seq` into a stored payload: `{"seq":N,…}`. */
export function withSeq(record: OutboxRecord): string {
  return record.json === '{}' ? `{"seq":${record.seq}}` : `{"seq":${record.seq},${record.json.slice(1)}`;
}
