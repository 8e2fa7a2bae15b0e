/**
 * Ingest: a bounded queue filled from the broker hook, drained by one writer that batches inserts (idempotent on
 * (agent, seq)) and then acks the committed seqs to each agent with an `ack` command. An agent's outbox drops a sample
 * only on that ack, so a crash between commit and ack means a harmless re-send (a duplicate, acked again).
 */
import type { Logger } from 'pino';
import type { AgentEvent, InventoryMessage, PresenceMessage, Sample, StateMessage } from '../../contract/protocol/index.ts';
import type { Counters } from '../metrics/counters.ts';
import type { EventRow, SampleRow, Store } from '../store/ports.ts';
import { createBoundedQueue } from './bounded-queue.ts';
import { toRanges } from './seq-ranges.ts';

/** What the broker hook hands to ingest, already authorized and validated. */
export type IngestItem =
  | { kind: 'telemetry'; agentId: string; samples: Sample[] }
  | { kind: 'events'; agentId: string; events: AgentEvent[] }
  | { kind: 'presence'; agentId: string; message: PresenceMessage }
  | { kind: 'inventory'; agentId: string; message: InventoryMessage }
  | { kind: 'state'; agentId: string; message: StateMessage }
  /** Seqs rejected for good (invalid samples): acked so the outbox stops re-sending them, never stored. */
  | { kind: 'reject'; agentId: string; seqs: number[] };

export type IngesterOptions = {
  store: Store;
  /** Publishes `{v:1,type:'ack',ranges}` on the agent's command topic. */
  publishAck(agentId: string, ranges: [number, number][]): void;
  counters: Counters;
  log: Logger;
  /** Queue capacity in samples/events (default 50 000). */
  capacity?: number;
  /** Max samples+events per DB batch (default 1000). */
  batchSize?: number;
  now?: () => number;
};

export type Ingester = {
  /** Enqueues; false when full (the caller decides to wait or shed). */
  offer(item: IngestItem): boolean;
  waitForRoom(item: IngestItem, timeoutMs: number): Promise<boolean>;
  readonly depth: number;
  readonly capacity: number;
  /**
   * Calls `listener` after each committed batch with its new and re-sent rows (before the acks go out), e.g. to feed
   * live views without polling the database. Listener errors are logged, never fail the batch. Returns unsubscribe.
   */
  onCommitted(listener: (batch: { samples: SampleRow[]; events: EventRow[] }) => void): () => void;
  start(): void;
  /** Stops accepting, drains what is queued (bounded by deadlineMs), then stops the writer. */
  stop(deadlineMs?: number): Promise<void>;
};

export function weightOf(item: IngestItem): number {
  switch (item.kind) {
    case 'telemetry': return item.samples.length;
    case 'events': return item.events.length;
    case 'reject': return 1;
    default: return 1;
  }
}

export function createIngester(opts: IngesterOptions): Ingester {
  const { store, counters, log } = opts;
  const batchSize = opts.batchSize ?? 1000;
  const now = opts.now ?? Date.now;
  const queue = createBoundedQueue<IngestItem>(opts.capacity ?? 50_000);
  let running = false;
  let loop: Promise<void> | null = null;
  const listeners = new Set<(batch: { samples: SampleRow[]; events: EventRow[] }) => void>();

  async function writeBatch(items: IngestItem[]): Promise<void> {
    const samples: SampleRow[] = [];
    const events: EventRow[] = [];
    const acks = new Map<string, number[]>();
    const presence = new Map<string, PresenceMessage>();
    const hostUpdates: IngestItem[] = [];
    const ack = (agentId: string, seq: number) => { let a = acks.get(agentId); if (!a) acks.set(agentId, (a = [])); a.push(seq); };
    for (const item of items) {
      switch (item.kind) {
        case 'telemetry':
          for (const s of item.samples) { samples.push({ hostId: item.agentId, seq: s.seq, ts: s.ts, schema: s.schema, features: s.features, collectors: s.collectors ?? null, scores: s.scores ?? null }); ack(item.agentId, s.seq); }
          break;
        case 'events':
          for (const e of item.events) { events.push({ hostId: item.agentId, seq: e.seq, ts: e.ts, type: e.type, severity: e.severity, message: e.message ?? null, data: e.data }); ack(item.agentId, e.seq); }
          break;
        case 'reject':
          for (const s of item.seqs) ack(item.agentId, s);
          break;
        case 'presence':
          presence.set(item.agentId, item.message);
          break;
        case 'inventory':
        case 'state':
          hostUpdates.push(item);
          break;
      }
    }
    const insertedSamples = await store.telemetry.insertSamples(samples);
    const insertedEvents = await store.telemetry.insertEvents(events);
    counters.inc('ingest.samples.accepted', insertedSamples);
    counters.inc('ingest.samples.duplicates', samples.length - insertedSamples);
    counters.inc('ingest.events.accepted', insertedEvents);
    counters.inc('ingest.events.duplicates', events.length - insertedEvents);
    const at = new Date(now());
    // Presence in a few statements per batch, not one per host: a reconnect storm of N agents is N presence items.
    const online: string[] = [], offline: string[] = [];
    for (const [agentId, p] of presence) {
      if (p.agentVersion) await store.hosts.setPresence(agentId, p.state === 'online', at, p.agentVersion);
      else (p.state === 'online' ? online : offline).push(agentId);
    }
    if (online.length) await store.hosts.setPresenceMany(online, true, at);
    if (offline.length) await store.hosts.setPresenceMany(offline, false, at);
    for (const u of hostUpdates) {
      if (u.kind === 'inventory') await store.hosts.setInventory(u.agentId, u.message.inventory, u.message.hash, at);
      else if (u.kind === 'state') await store.hosts.setState(u.agentId, { policyVersion: u.message.policyVersion, models: u.message.models, errors: u.message.errors }, at);
    }
    if (samples.length || events.length) {
      for (const l of listeners) { try { l({ samples, events }); } catch (err) { log.error({ err }, 'ingest commit listener failed'); } }
    }
    // Committed: only now may the agents drop these seqs.
    for (const [agentId, seqs] of acks) {
      for (const ranges of toRanges(seqs)) opts.publishAck(agentId, ranges);
      counters.inc('ingest.acks.published');
    }
  }

  async function run(): Promise<void> {
    let failures = 0;
    let pending: IngestItem[] = [];
    while (running || queue.depth > 0 || pending.length > 0) {
      if (pending.length === 0) {
        await queue.waitForItems();
        // Let the rest of this loop turn's socket reads reach the queue first: one commit for all of them, not one
        // per client chunk (costs no latency; the commit would have run only after them anyway).
        await new Promise<void>((r) => setImmediate(r));
        pending = queue.take(batchSize);
        if (pending.length === 0) { if (!running) break; continue; }
      }
      try {
        await writeBatch(pending);
        pending = [];
        failures = 0;
      } catch (err) {
        failures++;
        counters.inc('ingest.batch.failures');
        log.error({ err, failures, items: pending.length }, 'ingest batch failed; retrying');
        // Exponential backoff with full jitter, capped; the batch is retried (inserts are idempotent).
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(5000, 50 * 2 ** failures)));
        if (!running && failures > 3) { counters.inc('ingest.dropped.at-stop', pending.length); break; }
      }
    }
  }

  return {
    offer(item) { return running && queue.offer(item, weightOf(item)); },
    waitForRoom(item, timeoutMs) { return queue.waitForRoom(weightOf(item), timeoutMs); },
    get depth() { return queue.depth; },
    onCommitted(listener) { listeners.add(listener); return () => { listeners.delete(listener); }; },
    capacity: queue.capacity,
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    async stop(deadlineMs = 10_000) {
      if (!running) return;
      running = false;
      queue.close();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([loop, new Promise((r) => { timer = setTimeout(r, deadlineMs); })]);
      clearTimeout(timer);
    },
  };
}
