/**
 * Feeds the UI event bus. Samples and heal events are pushed: the ingester's commit hook
 * (`ingester.onCommitted`, called right after each committed batch) publishes `sample`, `action` and `approval`
 * {@link StreamEvent}s at once, without touching the database (stream.ts then coalesces samples per client once a
 * second and bounds every client's queue). Only what has no hook is polled, every `intervalMs` (default 5 s): one host
 * list (→ `presence`, `host`, `cordon`), one query for changed rollouts (→ `rollout`) and one for open incidents plus those that
 * were open at the last poll (→ `incident` when one opens, changes or resolves; the first poll only takes stock).
 *
 * With no UI stream open (no bus listener) the hook builds nothing: the events exist only for open streams.
 *
 * The hook also hands over re-sent rows (an agent that missed its ack sends again); rows already published in the last
 * `dedupeMs` (default 15 s) are skipped, keyed by (host, seq).
 */
import type { EventRow, HostRepository, SampleRow } from '../store/ports.ts';
import type { IncidentRepository } from '../repositories/incident-repository.ts';
import type { RolloutRepository } from '../repositories/rollout-repository.ts';
import type { ActionEvent, ApprovalEvent, HostEvent, LocalEventBus, SampleEvent, StreamTimers } from './stream.ts';
import { readEvent } from '../../contract/protocol/events.ts';

/** Features forwarded with each sample event (the rest stay in the database). */
export const HEADLINE_FEATURES = [
  'cpu.util_pct',
  'cpu.temp_package_c',
  'mem.used_pct',
  'fs.min_free_pct',
  'services.unhealthy',
  'net.rx_bytes_per_s',
];

/** A committed ingest batch, as `Ingester.onCommitted` hands it over. */
export type CommittedBatch = { samples: SampleRow[]; events: EventRow[] };
/** Registers a commit listener and returns its unsubscribe (the shape of `Ingester.onCommitted`). */
export type CommitHook = (listener: (batch: CommittedBatch) => void) => () => void;

/** Options of {@link startStreamFeed}. */
export type StreamFeedOptions = {
  hosts: Pick<HostRepository, 'list'>;
  rollouts: Pick<RolloutRepository, 'updatedSince'>;
  incidents: Pick<IncidentRepository, 'summaries'>;
  bus: LocalEventBus;
  /** Push source of samples and events: pass `ingester.onCommitted.bind(ingester)` or an equivalent emitter. */
  onCommitted: CommitHook;
  /** Poll period for hosts and rollouts (default 5000 ms). */
  intervalMs?: number;
  /** How long a published (host, seq) suppresses a re-sent duplicate (default 15 000 ms). */
  dedupeMs?: number;
  clock?: () => number;
  timers?: StreamTimers;
};

/** The UI's sample event for a stored sample row: headline features and the anomaly score (null without a model). */
export function sampleEvent(s: SampleRow): SampleEvent {
  const all = s.features ?? {};
  const features: Record<string, number | null> = {};
  for (const k of HEADLINE_FEATURES) if (k in all) features[k] = all[k]!;
  const score = (s.scores as { anomaly?: { score?: number } } | null | undefined)?.anomaly?.score;
  return { type: 'sample', hostId: s.hostId, ts: s.ts, features, anomaly: typeof score === 'number' ? score : null };
}

/** The UI's event for a heal event row (`approval` for approval requests, else `action`), `host` for an anomaly alert
 * starting or ending (the overview's alert and health change); null for other types. */
export function healEvent(row: EventRow): ActionEvent | ApprovalEvent | HostEvent | null {
  // Typed by the event catalogue; unknown kinds and malformed data are not pushed (they stay stored and listed).
  const read = readEvent(row);
  if (!read.ok) return null;
  const e = read.event;
  const action = (outcome: string, what: string = e.type): ActionEvent => ({
    type: 'action',
    hostId: row.hostId,
    action: what,
    outcome,
    ts: row.ts,
  });
  switch (e.type) {
    case 'heal.approval-requested':
      return {
        type: 'approval',
        approvalId: e.data.requestId,
        hostId: row.hostId,
        action: e.data.actions?.[0]?.type ?? e.data.policy,
        state: 'pending',
        ts: row.ts,
      };
    case 'heal.executed':
    case 'heal.failed':
      return action(e.data.status, e.data.action);
    case 'heal.escalated':
      return action('escalated');
    case 'heal.cordon':
      return action('requested', 'cordon');
    case 'heal.approval-granted':
      return action('approval-granted');
    case 'heal.approval-denied':
      return action('approval-denied');
    case 'anomaly.started':
    case 'anomaly.ended':
      return { type: 'host', hostId: row.hostId, ts: row.ts };
    default:
      return null;
  }
}

/** Subscribes to the commit hook and starts the host/rollout poll; `stop()` unsubscribes and ends after the running poll. */
export function startStreamFeed(o: StreamFeedOptions): { stop(): Promise<void>; poll(): Promise<void> } {
  const clock = o.clock ?? Date.now;
  const dedupeMs = o.dedupeMs ?? 15_000;
  const timers: StreamTimers = o.timers ?? {
    setInterval: (fn, ms) => setInterval(fn, ms),
    clearInterval: (h) => clearInterval(h as ReturnType<typeof setInterval>),
  };
  const seen = new Map<string, string>();
  // host id → when its cordon began ('' when not cordoned), as of the last poll
  const cordons = new Map<string, string>();
  // `s|e:host:seq` → when it was published; Map order is insertion order, so expiry prunes from the front.
  const published = new Map<string, number>();
  let rolloutsSince = new Date(clock());
  let running: Promise<void> | null = null;
  // incident id → `status|updatedAt` of the last poll; null until the first poll has taken stock
  let incidents: Map<string, string> | null = null;

  const firstTime = (key: string, now: number): boolean => {
    if (published.has(key)) return false;
    published.set(key, now);
    return true;
  };

  const unsubscribe = o.onCommitted(({ samples, events }) => {
    // Nobody watches on this replica (no UI stream open): build nothing. Commits of the other replicas arrive here
    // through the fan-out (replicas/commit-fanout.ts) anyway, so a stream opened later sees them from then on.
    if (o.bus.listeners === 0) return;
    const now = clock();
    for (const [k, at] of published) {
      if (at >= now - dedupeMs) break;
      published.delete(k);
    }
    for (const s of samples) if (firstTime(`s:${s.hostId}:${s.seq}`, now)) o.bus.publish(sampleEvent(s));
    for (const e of events) {
      const ev = healEvent(e);
      if (ev && firstTime(`e:${e.hostId}:${e.seq}`, now)) o.bus.publish(ev);
    }
  });

  const poll = async () => {
    const now = clock();
    const hosts = await o.hosts.list();
    for (const h of hosts) {
      const sig = `${h.online}|${h.appliedPolicyVersion}|${JSON.stringify(h.appliedModels)}|${h.inventoryHash}`;
      const prev = seen.get(h.id);
      seen.set(h.id, sig);
      const cordon = h.cordon ? h.cordon.at.toISOString() : '';
      const was = cordons.get(h.id);
      cordons.set(h.id, cordon);
      if (was !== undefined && was !== cordon)
        o.bus.publish({
          type: 'cordon',
          hostId: h.id,
          cordoned: h.cordon !== null,
          source: h.cordon?.source ?? null,
          by: h.cordon?.by ?? null,
          reason: h.cordon?.reason ?? null,
          ts: now,
        });
      if (prev !== undefined && prev !== sig) {
        if (prev.split('|')[0] !== String(h.online))
          o.bus.publish({ type: 'presence', hostId: h.id, state: h.online ? 'online' : 'offline', ts: now });
        o.bus.publish({ type: 'host', hostId: h.id, ts: now });
      }
    }
    const rollouts = await o.rollouts.updatedSince(rolloutsSince);
    rolloutsSince = new Date(now);
    for (const r of rollouts) {
      const total = r.state.waves.reduce((n, w) => n + w.length, 0);
      o.bus.publish({
        type: 'rollout',
        rolloutId: r.id,
        kind: r.kind,
        state: r.status,
        wave: r.state.wave,
        acked: 0,
        total,
        ts: now,
      });
    }
    const open = await o.incidents.summaries({ status: 'open' });
    const openIds = new Set(open.map((i) => i.id));
    const closed = incidents
      ? [...incidents].filter(([id, sig]) => sig.startsWith('open|') && !openIds.has(id)).map(([id]) => id)
      : [];
    const current = closed.length ? [...open, ...(await o.incidents.summaries({ ids: closed }))] : open;
    const next = new Map<string, string>();
    for (const i of current) {
      const sig = `${i.status}|${i.updatedAt.getTime()}`;
      if (i.status === 'open') next.set(i.id, sig);
      if (incidents && incidents.get(i.id) !== sig)
        o.bus.publish({ type: 'incident', incidentId: i.id, status: i.status, title: i.title, ts: now });
    }
    incidents = next;
  };
  const timer = timers.setInterval(() => {
    if (running) return; // a slow poll is skipped, not stacked
    running = poll()
      .catch(() => undefined)
      .finally(() => (running = null));
  }, o.intervalMs ?? 5000);
  return {
    poll,
    async stop() {
      unsubscribe();
      timers.clearInterval(timer);
      await running;
    },
  };
}
