/**
 * SQLite outbox (better-sqlite3, WAL). An append is one INSERT committed on its own (the highest stored seq is the
 * high-water mark; deletes save it in the meta row in their transaction), so a kill -9 never loses an appended record
 * nor reissues a seq, with either setting. `outbox.synchronous`: `full` (default) syncs the WAL at every append, so an
 * appended record also survives power loss; `normal` syncs only at checkpoints (a power loss may lose the last
 * records). Acks are committed without a sync of their own in both modes: a lost ack only replays records, which the
 * control plane deduplicates by seq; the next synced append makes it durable.
 */
import { createRequire } from 'node:module';
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { OutboxKind, OutboxLimits, OutboxRecord } from './record.ts';
import { createOutbox, type OutboxBackend, type OutboxStore } from './store.ts';

// better-sqlite3 ships no types and @types/better-sqlite3 is not a dependency: describe the part we use.
type Statement = {
  run(...p: unknown[]): { changes: number };
  get(...p: unknown[]): unknown;
  all(...p: unknown[]): unknown[];
};
type Database = {
  pragma(s: string): unknown;
  exec(sql: string): void;
  prepare(sql: string): Statement;
  transaction<F extends (...a: never[]) => unknown>(fn: F): F;
  close(): void;
};
const require = createRequire(import.meta.url);
const DatabaseCtor = require('better-sqlite3') as new (file: string) => Database;

type Row = { seq: number; kind: OutboxKind; ts: number; json: string; bytes: number };

/** Options of {@link openSqliteOutbox}. */
export type SqliteOutboxOptions = OutboxLimits & { synchronous?: 'full' | 'normal' };

/** Opens (creating if needed) the outbox database at `file`. */
export function openSqliteOutbox(file: string, options: SqliteOutboxOptions): OutboxStore {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const db = new DatabaseCtor(file);
  chmodSync(file, 0o600); // telemetry may be sensitive; -wal/-shm inherit this mode
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
  db.pragma('busy_timeout = 5000');
  db.exec(`
    CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, ts INTEGER NOT NULL, json TEXT NOT NULL, bytes INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS meta (id INTEGER PRIMARY KEY CHECK (id = 1), last_seq INTEGER NOT NULL, dropped_total INTEGER NOT NULL);
    INSERT OR IGNORE INTO meta (id, last_seq, dropped_total) VALUES (1, 0, 0);
  `);
  const q = {
    meta: db.prepare(
      'SELECT max(last_seq, coalesce((SELECT max(seq) FROM outbox), 0)) AS lastSeq, dropped_total AS droppedTotal FROM meta WHERE id = 1',
    ),
    counts: db.prepare('SELECT count(*) AS depth, coalesce(sum(bytes), 0) AS bytes FROM outbox'),
    saveMeta: db.prepare('UPDATE meta SET last_seq = ?, dropped_total = ? WHERE id = 1'),
    insert: db.prepare('INSERT INTO outbox (seq, kind, ts, json, bytes) VALUES (?, ?, ?, ?, ?)'),
    range: db.prepare('SELECT seq, kind, ts, json, bytes FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?'),
    sumRange: db.prepare(
      'SELECT count(*) AS count, coalesce(sum(bytes), 0) AS bytes FROM outbox WHERE seq BETWEEN ? AND ?',
    ),
    deleteRange: db.prepare('DELETE FROM outbox WHERE seq BETWEEN ? AND ?'),
  };
  const full = options.synchronous !== 'normal';
  // One wrapper for every transaction: db.transaction(fn) would build a new function (and closure) per call.
  const inTransaction = db.transaction((fn: () => unknown) => fn());
  const relaxed = db.prepare('PRAGMA synchronous = NORMAL');
  const strict = db.prepare('PRAGMA synchronous = FULL');
  let depthInTx = 0;
  const backend: OutboxBackend = {
    transaction: <T>(fn: () => T, opts?: { durable?: boolean }): T => {
      // Nested calls (none today) run inside the outer transaction.
      if (depthInTx > 0) return fn();
      // WAL + NORMAL commits without fsync; the frames are synced by the next FULL commit or the checkpoint.
      const lazy = full && opts?.durable === false;
      depthInTx++;
      if (lazy) relaxed.run();
      try {
        return inTransaction(fn) as T;
      } finally {
        if (lazy) strict.run();
        depthInTx--;
      }
    },
    load: () => {
      const meta = q.meta.get() as { lastSeq: number; droppedTotal: number };
      const counts = q.counts.get() as { depth: number; bytes: number };
      return { ...meta, ...counts };
    },
    saveMeta: (lastSeq, droppedTotal) => {
      q.saveMeta.run(lastSeq, droppedTotal);
    },
    insert: (r) => {
      q.insert.run(r.seq, r.kind, r.ts, r.json, r.bytes);
    },
    range: (afterSeq, limit) => q.range.all(afterSeq, limit) as Row[] as OutboxRecord[],
    deleteRange: (from, to) => {
      const s = q.sumRange.get(from, to) as { count: number; bytes: number };
      if (s.count > 0) q.deleteRange.run(from, to);
      return s;
    },
    close: () => db.close(),
  };
  return createOutbox(backend, options);
}
