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

/** Data of an `outbox.dropped` event: how many records were lost and their seq span. */
export type DroppedData = {
  count: number;
  fromSeq: number;
  toSeq: number;
  bytes: number;
} & EventData<'outbox.dropped'>;

/** Splices `seq` into a stored payload: `{"seq":N,…}`. */
export function withSeq(record: OutboxRecord): string {
  return record.json === '{}' ? `{"seq":${record.seq}}` : `{"seq":${record.seq},${record.json.slice(1)}`;
}
