/**
 * The web UI as one attachable piece: the static app at `/` (web-static.ts) and the live stream at `/api/stream`
 * (stream.ts) fed by ingest's commit hook plus a slow host/rollout poll (stream-feed.ts). `homeostat server|start|demo` all use it the same way:
 *
 *   const ui = createWebUi();
 *   const cp = await createControlPlaneWithFleet({ ...options, mounts: ui.mounts });
 *   await cp.start(); ui.start(cp);   …   await ui.stop(); await cp.stop();
 *
 * The stream needs no auth of its own: the control plane's access middleware runs before every route and the route
 * table lets viewers (session cookie or API token) open `GET /api/stream`.
 */
import type { ControlPlane } from '../server.ts';
import type { ApiMount } from './app.ts';
import { createEventBus, streamRoutes, type LocalEventBus } from './stream.ts';
import { startStreamFeed, type CommitHook } from './stream-feed.ts';
import { createCommitFanout } from '../replicas/commit-fanout.ts';
import { pino } from 'pino';
import { webStatic } from './web-static.ts';

/** Options; defaults: web/dist, host/rollout poll every 5 s (samples and heal events are pushed on commit). */
export type WebUiOptions = { root?: string; feedIntervalMs?: number };

/** The UI's mounts, its event bus and the feed's lifecycle. */
export type WebUi = { bus: LocalEventBus; mounts: ApiMount[]; start(cp: ControlPlane): void; stop(): Promise<void> };

/** Creates the UI mounts; call `start(cp)` once the control plane is listening. */
export function createWebUi(options: WebUiOptions = {}): WebUi {
  const bus = createEventBus();
  let feed: { stop(): Promise<void> } | null = null;
  let fanout: ReturnType<typeof createCommitFanout> | null = null;
  return {
    bus,
    mounts: [
      { path: '/api/stream', app: streamRoutes({ bus }) },
      { path: '/', app: webStatic(options.root ? { root: options.root } : {}) },
    ],
    start(cp) {
      const { hosts, rollouts, incidents } = cp.store;
      const local: CommitHook = (l) => cp.ingester.onCommitted(l);
      // Replicas behind an external broker: every replica's commits reach this replica's streams.
      const channel = cp.broker.replicas;
      fanout ??= channel
        ? createCommitFanout(local, channel, pino({ level: cp.config.logLevel }, pino.destination(2)))
        : null;
      feed ??= startStreamFeed({
        hosts,
        rollouts,
        incidents,
        bus,
        onCommitted: fanout ? fanout.onCommitted : local,
        ...(options.feedIntervalMs ? { intervalMs: options.feedIntervalMs } : {}),
      });
    },
    async stop() {
      await feed?.stop();
      await fanout?.stop();
      feed = null;
      fanout = null;
    },
  };
}
