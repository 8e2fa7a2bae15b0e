/** In-memory outbox: same semantics as SQLite minus durability (tests, `--ephemeral` agents). */
import type { OutboxLimits, OutboxRecord } from './record.ts';
import { createOutbox, type OutboxBackend, type OutboxStore } from './store.ts';

/** Creates an in-memory {@link OutboxStore}. `startSeq` lets a caller continue a seq space (default 0). */
export function createMemoryOutbox(limits: OutboxLimits, options: { startSeq?: number } = {}): OutboxStore {
  // Records are appended in seq order, so an array stays sorted; acks splice by binary search.
  let rows: OutboxRecord[] = [];
  let lastSeq = options.startSeq ?? 0;
  let droppedTotal = 0;
  const lowerBound = (seq: number): number => {
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (rows[mid]!.seq < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const backend: OutboxBackend = {
    transaction: (fn) => {
      const snapshot = { rows: rows.slice(), lastSeq, droppedTotal };
      try {
        return fn();
      } catch (err) {
        ({ rows, lastSeq, droppedTotal } = snapshot);
        throw err;
      }
    },
    load: () => ({ lastSeq, droppedTotal, depth: rows.length, bytes: rows.reduce((s, r) => s + r.bytes, 0) }),
    saveMeta: (seq, dropped) => {
      lastSeq = seq;
      droppedTotal = dropped;
    },
    insert: (record) => {
      rows.push(record);
    },
    range: (afterSeq, limit) => {
      const i = lowerBound(afterSeq + 1);
      return rows.slice(i, i + limit);
    },
    deleteRange: (from, to) => {
      const i = lowerBound(from);
      const j = lowerBound(to + 1);
      const removed = rows.splice(i, j - i);
      return { count: removed.length, bytes: removed.reduce((s, r) => s + r.bytes, 0) };
    },
    close: () => {
      rows = [];
    },
  };
  return createOutbox(backend, limits);
}
