/**
 * Feeds the UI event bus from the database (agent topics are consumed by the broker and never routed to MQTT
 * subscribers, and ingest has no commit hook yet): every `intervalMs` (default 1 s) it reads what was committed since
 * the last poll and publishes `sample`, `presence`, `host`, `action`, `approval` and `rollout` {@link StreamEvent}s.
 *
 * Cost per poll, whatever the fleet size: one host list, one range query over the `ts` index for every host's new
 * samples (headline columns only), one for the new heal events, one for changed rollouts. Samples are read with an
 * overlap of `overlapMs` (default 15 s) because an agent's sample carries its collection time, and batches commit
 * out of ts order across hosts; already-published (host, seq) pairs are skipped.
 */
import type { Db } from '../db/database.ts';
import type { HostRepository } from '../store/ports.ts';
import type { LocalEventBus } from './stream.ts';

/** Features forwarded with each sample event (the rest stay in the database). */
export const HEADLINE_FEATURES = ['cpu.util_pct', 'cpu.temp_package_c', 'mem.used_pct', 'fs.min_free_pct', 'services.unhealthy', 'net.rx_bytes_per_s'];

const ACTION_EVENTS = ['heal.executed', 'heal.failed', 'heal.escalated', 'heal.approval-requested', 'heal.approval-granted', 'heal.approval-denied'];

/** Options of {@link startStreamFeed}. */
export type StreamFeedOptions = {
  db: Db;
  hosts: HostRepository;
  bus: LocalEventBus;
  intervalMs?: number;
  overlapMs?: number;
  clock?: () => number;
};

/** Starts polling; `stop()` ends it after the running poll. */
export function startStreamFeed(o: StreamFeedOptions): { stop(): Promise<void>; poll(): Promise<void> } {
  const clock = o.clock ?? Date.now;
  const overlap = o.overlapMs ?? 15_000;
  const seen = new Map<string, string>();
  // (host:seq) → ts of what was published, pruned once older than the overlap window.
  const sent = new Map<string, number>();
  const sentEvents = new Map<string, number>();
  let rolloutsSince = new Date(clock());
  let running: Promise<void> | null = null;

  const prune = (m: Map<string, number>, before: number) => {
    for (const [k, ts] of m) if (ts < before) m.delete(k);
  };

  const poll = async () => {
    const now = clock();
    const hosts = await o.hosts.list();
    for (const h of hosts) {
      const sig = `${h.online}|${h.appliedPolicyVersion}|${JSON.stringify(h.appliedModels)}|${h.inventoryHash}`;
      const prev = seen.get(h.id);
      seen.set(h.id, sig);
      if (prev !== undefined && prev !== sig) {
        if (prev.split('|')[0] !== String(h.online)) o.bus.publish({ type: 'presence', hostId: h.id, state: h.online ? 'online' : 'offline', ts: now });
        o.bus.publish({ type: 'host', hostId: h.id, ts: now });
      }
    }
    const from = BigInt(now - overlap);
    const samples = await o.db.sample.findMany({ where: { ts: { gte: from } }, select: { hostId: true, seq: true, ts: true, features: true, scores: true }, orderBy: { ts: 'asc' }, take: 20_000 });
    for (const s of samples) {
      const key = `${s.hostId}:${s.seq}`;
      if (sent.has(key)) continue;
      const ts = Number(s.ts);
      sent.set(key, ts);
      const all = (s.features ?? {}) as Record<string, number | null>;
      const features: Record<string, number | null> = {};
      for (const k of HEADLINE_FEATURES) if (k in all) features[k] = all[k]!;
      const score = (s.scores as { anomaly?: { score?: number } } | null | undefined)?.anomaly?.score;
      o.bus.publish({ type: 'sample', hostId: s.hostId, ts, features, anomaly: typeof score === 'number' ? score : null });
    }
    const events = await o.db.event.findMany({ where: { ts: { gte: from }, type: { in: ACTION_EVENTS } }, select: { hostId: true, seq: true, ts: true, type: true, data: true }, orderBy: { ts: 'asc' }, take: 5000 });
    for (const e of events) {
      const key = `${e.hostId}:${e.seq}`;
      if (sentEvents.has(key)) continue;
      const ts = Number(e.ts);
      sentEvents.set(key, ts);
      const data = (e.data ?? {}) as Record<string, unknown>;
      if (e.type === 'heal.approval-requested') {
        o.bus.publish({ type: 'approval', approvalId: String(data.requestId ?? ''), hostId: e.hostId, action: String((data.actions as { type?: string }[] | undefined)?.[0]?.type ?? data.action ?? ''), state: 'pending', ts });
      } else {
        o.bus.publish({ type: 'action', hostId: e.hostId, action: String(data.action ?? e.type), outcome: String(data.outcome ?? data.status ?? e.type.slice(5)), ts });
      }
    }
    const rollouts = await o.db.rollout.findMany({ where: { updatedAt: { gte: rolloutsSince } }, select: { id: true, kind: true, status: true, state: true } });
    rolloutsSince = new Date(now);
    for (const r of rollouts) {
      const st = r.state as { wave?: number; waves?: string[][] } | null;
      o.bus.publish({ type: 'rollout', rolloutId: r.id, kind: r.kind === 'model' ? 'model' : 'policy', state: r.status, wave: st?.wave ?? -1, acked: 0, total: (st?.waves ?? []).reduce((n, w) => n + w.length, 0), ts: now });
    }
    prune(sent, now - overlap - 5_000);
    prune(sentEvents, now - overlap - 5_000);
  };
  const timer = setInterval(() => {
    if (running) return; // a slow poll is skipped, not stacked
    running = poll().catch(() => undefined).finally(() => (running = null));
  }, o.intervalMs ?? 1000);
  return {
    poll,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
