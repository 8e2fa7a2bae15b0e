/**
 * `GET /api/stream`: live updates for the web UI as Server-Sent Events.
 *
 * The control plane owns one in-process {@link EventBus}; ingest, presence, incidents, rollouts, approvals and the
 * action log publish {@link StreamEvent}s on it, and every open stream subscribes. The wire format is one SSE message
 * per event, `event: <type>` and `data: <JSON>`, except samples, which are coalesced (see below).
 *
 * Query parameters:
 * - `host=<id>`: also send every `sample` of that host as it arrives (the host detail page's live charts).
 * - without it, samples are coalesced: the latest sample per host is sent once per `flushMs` (default 1 s) as one
 *   `samples` message `{ samples: SampleEvent[] }`, so the fleet overview stays cheap at thousands of hosts.
 *
 * A slow client never blocks publishers: each stream buffers at most `maxQueue` (default 1000) pending messages and
 * drops the oldest non-sample message past that, sending `event: overflow` so the UI refetches. A `ping` comment every
 * `heartbeatMs` (default 15 s) keeps proxies from closing idle streams. Mount this behind the API's auth middleware.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { SampleEvent, StreamEvent } from '../../contract/api/stream.ts';

export type {
  ActionEvent,
  ApprovalEvent,
  HostEvent,
  IncidentEvent,
  PresenceEvent,
  RolloutEvent,
  SampleEvent,
  StreamEvent,
  StreamEventType,
} from '../../contract/api/stream.ts';

/** Subscription side of the control plane's event bus. `subscribe` returns the unsubscribe function. */
export interface EventBus {
  subscribe(listener: (event: StreamEvent) => void): () => void;
}

/** An in-process bus: `publish` calls listeners synchronously; a throwing listener does not affect the others. */
export type LocalEventBus = EventBus & { publish(event: StreamEvent): void; readonly listeners: number };

/** Creates the in-process {@link LocalEventBus}. */
export function createEventBus(): LocalEventBus {
  const listeners = new Set<(event: StreamEvent) => void>();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    publish(event) {
      for (const l of listeners) {
        try {
          l(event);
        } catch {
          // one broken stream must not stop ingest or the other streams
        }
      }
    },
    get listeners() {
      return listeners.size;
    },
  };
}

/** Timer functions, injectable for tests (defaults: the global ones). */
export type StreamTimers = {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
};

/** Options of {@link streamRoutes}. */
export type StreamOptions = {
  bus: EventBus;
  /** How often coalesced samples are flushed (default 1000 ms). */
  flushMs?: number;
  /** Keep-alive comment interval (default 15000 ms). */
  heartbeatMs?: number;
  /** Largest number of pending messages per client (default 1000). */
  maxQueue?: number;
  timers?: StreamTimers;
  /** Runs before the stream opens (e.g. the API's auth middleware); default none — mount behind auth instead. */
  authorize?: MiddlewareHandler;
};

type Outgoing = { event: string; data: string };

/** Hono sub-app with `GET /` streaming the bus; mount it at `/api/stream`. */
export function streamRoutes(options: StreamOptions): Hono {
  const flushMs = options.flushMs ?? 1000;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxQueue = options.maxQueue ?? 1000;
  const timers: StreamTimers = options.timers ?? {
    setInterval: (fn, ms) => setInterval(fn, ms),
    clearInterval: (h) => clearInterval(h as ReturnType<typeof setInterval>),
  };
  const app = new Hono();
  if (options.authorize) app.use('*', options.authorize);
  app.get('/', (c) => {
    const focusHost = c.req.query('host') ?? null;
    return streamSSE(c, async (stream) => {
      const queue: Outgoing[] = [];
      const latest = new Map<string, SampleEvent>();
      let wake: (() => void) | null = null;
      let closed = false;
      let overflowed = false;
      const notify = () => {
        const w = wake;
        wake = null;
        w?.();
      };
      const push = (msg: Outgoing) => {
        if (queue.length >= maxQueue) {
          queue.shift();
          overflowed = true;
        }
        queue.push(msg);
        notify();
      };
      const unsubscribe = options.bus.subscribe((event) => {
        if (event.type === 'sample') {
          latest.set(event.hostId, event);
          if (event.hostId === focusHost) push({ event: 'sample', data: JSON.stringify(event) });
          return;
        }
        push({ event: event.type, data: JSON.stringify(event) });
      });
      const flush = timers.setInterval(() => {
        if (latest.size === 0) return;
        const samples = [...latest.values()];
        latest.clear();
        push({ event: 'samples', data: JSON.stringify({ samples }) });
      }, flushMs);
      const beat = timers.setInterval(() => push({ event: '', data: '' }), heartbeatMs);
      stream.onAbort(() => {
        closed = true;
        notify();
      });
      try {
        await stream.writeSSE({
          event: 'hello',
          data: JSON.stringify({ ts: Date.now(), host: focusHost }),
          retry: 3000,
        });
        while (!closed) {
          if (overflowed) {
            overflowed = false;
            await stream.writeSSE({ event: 'overflow', data: '{}' });
          }
          const msg = queue.shift();
          if (!msg) {
            await new Promise<void>((resolve) => (wake = resolve));
            continue;
          }
          if (msg.event === '') await stream.write(': ping\n\n');
          else await stream.writeSSE(msg);
        }
      } finally {
        unsubscribe();
        timers.clearInterval(flush);
        timers.clearInterval(beat);
      }
    });
  });
  return app;
}
