/**
 * Feeds the UI event bus from the store until ingest publishes on it directly (agent topics are consumed by the
 * broker and never routed to MQTT subscribers): every `intervalMs` (default 1 s) it reads each host's new samples and
 * events and publishes `sample`, `presence`, `host`, `action` and `approval` {@link StreamEvent}s. Cost: one host list
 * plus two indexed range queries per host per interval — fine for the demo and small fleets.
 */
import type { Store } from '../store/ports.ts';
import type { LocalEventBus } from './stream.ts';

/** Features forwarded with each sample event (the rest stay in the database). */
export const HEADLINE_FEATURES = ['cpu.util_pct', 'cpu.temp_package_c', 'mem.used_pct', 'fs.min_free_pct', 'services.unhealthy', 'net.rx_bytes_per_s'];

/** Options of {@link startStreamFeed}. */
export type StreamFeedOptions = { store: Store; bus: LocalEventBus; intervalMs?: number; clock?: () => number };

/** Starts polling; `stop()` ends it after the running poll. */
export function startStreamFeed(o: StreamFeedOptions): { stop(): Promise<void> } {
  const clock = o.clock ?? Date.now;
  const since = new Map<string, number>();
  const eventsSince = new Map<string, number>();
  const seen = new Map<string, string>();
  let running: Promise<void> | null = null;
  const poll = async () => {
    const hosts = await o.store.hosts.list();
    for (const h of hosts) {
      const sig = `${h.online}|${h.appliedPolicyVersion}|${JSON.stringify(h.appliedModels)}|${h.inventoryHash}`;
      const prev = seen.get(h.id);
      seen.set(h.id, sig);
      if (prev !== undefined && prev !== sig) {
        if (prev.split('|')[0] !== String(h.online)) o.bus.publish({ type: 'presence', hostId: h.id, state: h.online ? 'online' : 'offline', ts: clock() });
        o.bus.publish({ type: 'host', hostId: h.id, ts: clock() });
      }
      const from = since.get(h.id) ?? clock() - 5_000;
      const samples = await o.store.telemetry.listSamples(h.id, { since: from, limit: 500 });
      for (const s of samples) {
        const features: Record<string, number | null> = {};
        for (const k of HEADLINE_FEATURES) if (k in s.features) features[k] = s.features[k]!;
        const score = (s.scores as { anomaly?: { score?: number } } | null | undefined)?.anomaly?.score;
        o.bus.publish({ type: 'sample', hostId: h.id, ts: s.ts, features, anomaly: typeof score === 'number' ? score : null });
      }
      if (samples.length) since.set(h.id, samples.at(-1)!.ts + 1);
      else if (!since.has(h.id)) since.set(h.id, from);
      const evFrom = eventsSince.get(h.id) ?? clock() - 5_000;
      const events = await o.store.telemetry.listEvents(h.id, { since: evFrom, limit: 500 });
      for (const e of events) {
        if (e.type === 'heal.executed' || e.type === 'heal.failed') {
          o.bus.publish({ type: 'action', hostId: h.id, action: String(e.data.action ?? e.type), outcome: String(e.data.outcome ?? e.data.status ?? e.type), ts: e.ts });
        } else if (e.type === 'heal.approval-requested') {
          o.bus.publish({ type: 'approval', approvalId: String(e.data.requestId ?? ''), hostId: h.id, action: String((e.data.actions as { type?: string }[] | undefined)?.[0]?.type ?? ''), state: 'pending', ts: e.ts });
        }
      }
      eventsSince.set(h.id, events.length ? events.at(-1)!.ts + 1 : evFrom);
    }
  };
  const timer = setInterval(() => {
    if (running) return; // a slow poll is skipped, not stacked
    running = poll().catch(() => undefined).finally(() => (running = null));
  }, o.intervalMs ?? 1000);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
