/**
 * Leader election for the fleet's singletons (rollout ticker, correlator with its webhooks, retention): exactly one
 * replica at a time runs them. On PostgreSQL a replica leads while it holds a session-level advisory lock on its own
 * connection; when that replica dies (even SIGKILL) PostgreSQL ends its session and frees the lock, and the next replica
 * to try takes it within `retryMs`. The holder checks its connection every `retryMs` and steps down on any error, so
 * a partitioned leader stops before another can start (allow one `retryMs` of overlap). SQLite is one process:
 * `alwaysLeader`.
 */
import pg, { type Client as PgClient } from 'pg';
import type { Logger } from 'pino';
import type { Counters } from '../metrics/counters.ts';

export type Leadership = {
  readonly isLeader: boolean;
  /** Called with true when this replica becomes leader, false when it stops being one. */
  onChange(listener: (leader: boolean) => void): () => void;
  stop(): Promise<void>;
};

/** The advisory lock key (two int4: "HOME", 1 = fleet singletons). */
export const SINGLETON_LOCK: readonly [number, number] = [0x484f4d45, 1];

export function alwaysLeader(): Leadership {
  return { isLeader: true, onChange: () => () => undefined, stop: () => Promise.resolve() };
}

export function createPgLeadership(o: {
  url: string;
  log: Logger;
  counters: Counters;
  retryMs?: number;
  key?: readonly [number, number];
}): Leadership {
  const retryMs = o.retryMs ?? 2000;
  const [k1, k2] = o.key ?? SINGLETON_LOCK;
  const listeners = new Set<(leader: boolean) => void>();
  let leader = false;
  let client: PgClient | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;

  const set = (v: boolean) => {
    if (v === leader) return;
    leader = v;
    o.counters.inc(v ? 'leader.acquired' : 'leader.lost');
    o.log.info({ leader: v }, v ? 'this replica now runs the fleet singletons' : 'this replica no longer leads');
    for (const l of listeners) {
      try {
        l(v);
      } catch (err) {
        o.log.error({ err }, 'leadership listener failed');
      }
    }
  };
  const drop = async () => {
    const c = client;
    client = null;
    set(false);
    await c?.end().catch(() => undefined);
  };
  const round = async () => {
    try {
      if (!client) {
        const c = new pg.Client({ connectionString: o.url, connectionTimeoutMillis: retryMs * 2, keepAlive: true });
        c.on('error', (err) => {
          o.log.warn({ err: err.message }, 'leader election connection failed');
          if (client === c) void drop();
        });
        await c.connect();
        client = c;
      }
      if (leader) {
        await client.query('SELECT 1');
        return;
      }
      const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [k1, k2]);
      if (r.rows[0]?.ok) set(true);
    } catch (err) {
      o.log.warn({ err: (err as Error).message }, 'leader election round failed');
      await drop();
    }
  };
  const loop = () => {
    if (stopped) return;
    running = round().finally(() => {
      running = null;
      if (!stopped) timer = setTimeout(loop, retryMs);
      timer?.unref();
    });
  };
  loop();

  return {
    get isLeader() {
      return leader;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      // Ending the session frees the lock at once: another replica takes over at its next round.
      await drop();
    },
  };
}
