/**
 * Ingest: a bounded queue filled from the broker hook, drained by one writer that batches inserts (idempotent on
 * (agent, seq)) and then acks the committed seqs to each agent with an `ack` command. An agent's outbox drops a sample
 * only on that ack, so a crash between commit and ack means a harmless re-send (a duplicate, acked again).
 *
 * No single record can stall ingest: a batch the database refuses is bisected down to single records (poison.ts);
 * the others are committed and acked, a record the database refuses on its own is quarantined (counted per kind,
 * reported to `onQuarantined` listeners, and acked to its agent as rejected with the reason, so its outbox moves on).
 * A database that is down is retried with capped, jittered backoff; `stop(deadline)` holds even then.
 */
import type { Logger } from 'pino';
import type {
  AgentEvent,
  InventoryMessage,
  PresenceMessage,
  RejectedSeq,
  Sample,
  StateMessage,
} from '../../contract/protocol/index.ts';
import type { Counters } from '../metrics/counters.ts';
import type { EventRow, SampleRow, Store } from '../store/ports.ts';
import { createBoundedQueue } from './bounded-queue.ts';
import { toRanges } from './seq-ranges.ts';
import { bisect, describeUnit, isDataError, reasonOf, toUnits } from './poison.ts';
import { createCordonService } from '../cordon/cordon-service.ts';

/** What the broker hook hands to ingest, already authorized and validated. */
export type IngestItem =
  | { kind: 'telemetry'; agentId: string; samples: Sample[] }
  | { kind: 'events'; agentId: string; events: AgentEvent[] }
  | { kind: 'presence'; agentId: string; message: PresenceMessage }
  | { kind: 'inventory'; agentId: string; message: InventoryMessage }
  | { kind: 'state'; agentId: string; message: StateMessage }
  /** Seqs rejected for good (invalid samples): acked so the outbox stops re-sending them, never stored. */
  | { kind: 'reject'; agentId: string; seqs: number[]; reason?: string };

/** A record the database refused on its own, set aside so the rest of ingest goes on. */
export type Quarantined = { kind: IngestItem['kind']; agentId: string; seq: number | null; reason: string; at: number };

export type IngesterOptions = {
  store: Store;
  /** Publishes `{v:1,type:'ack',ranges,rejected?}` on the agent's command topic (`rejected` ⊆ `ranges`). */
  publishAck(agentId: string, ranges: [number, number][], rejected?: RejectedSeq[]): void;
  counters: Counters;
  log: Logger;
  /** Queue capacity in samples/events (default 50 000). */
  capacity?: number;
  /** Max samples+events per DB batch (default 1000). */
  batchSize?: number;
  /**
   * How long a sample may wait in the queue (default 5000 ms): the room offered is the writer's measured throughput
   * × this (at least one batch, at most `capacity`). Keeps every admitted sample committed and acked well within the
   * agents' ack timeout (30 s), so overload never turns into re-sends of samples already queued, and bounds memory.
   */
  maxQueueDelayMs?: number;
  /**
   * Bound on the wire bytes of the records queued (default 32 MiB): the room offered in records is at most this over
   * the mean bytes per record seen at admission (`noteRecordBytes`). The queue holds *parsed* records (a real sample
   * of 3.6 KB is several times that on the heap), so a record count alone let the queue take hundreds of MB.
   */
  maxQueueBytes?: number;
  /**
   * How long the writer lets a batch fill before committing it when less than a full batch is queued (default 10 ms,
   * 0 = commit at once). With agents sending one sample per message, commits otherwise hold 1-2 records each and the
   * per-commit cost (statement preparation, WAL frames, presence and ack bookkeeping) dominates; the wait adds at
   * most this much to the ack latency, and never applies while a full batch is waiting (overload) or at stop.
   */
  lingerMs?: number;
  now?: () => number;
  /** A cheap read that succeeds when the database answers (default: a host lookup). */
  probe?: () => Promise<unknown>;
};

export type Ingester = {
  /** Enqueues; false when full (the caller decides to wait or shed). `reserved`: room reserved for it earlier. */
  offer(item: IngestItem, reserved?: number): boolean;
  /**
   * Reserves room for `weight` samples/events before the message is even decoded: at once when it fits and nobody
   * waits, else in arrival order within timeoutMs (false: no room in time, or stopped). A true answer holds the
   * reservation until the caller's `offer(item, weight)` uses it or `release(weight)` gives it back.
   */
  reserve(weight: number, timeoutMs: number): Promise<boolean>;
  /** Tells the byte bound what a record costs: a message of `records` records arrived in `bytes` bytes. */
  noteRecordBytes(bytes: number, records: number): void;
  /** Synchronous `reserve` without waiting. */
  tryReserve(weight: number): boolean;
  release(weight: number): void;
  /** Admissions waiting for room now. */
  readonly waiting: number;
  readonly depth: number;
  readonly capacity: number;
  /** Room offered now: the writer's throughput × maxQueueDelayMs, between one batch and `capacity`. */
  readonly limit: number;
  /** How long the writer needs for what is queued and reserved now, at its measured throughput (ms). */
  readonly backlogMs: number;
  /**
   * Calls `listener` after each committed batch with its new and re-sent rows (before the acks go out), e.g. to feed
   * live views without polling the database. Listener errors are logged, never fail the batch. Returns unsubscribe.
   */
  onCommitted(listener: (batch: { samples: SampleRow[]; events: EventRow[] }) => void): () => void;
  /** Calls `listener` for every quarantined record (e.g. to audit it). Listener errors are logged. Returns unsubscribe. */
  onQuarantined(listener: (q: Quarantined) => void): () => void;
  /** Calls `listener` with each `heal.cordon` event that cordoned its host (once, across re-sends and replicas), e.g.
   * to audit it. Listener errors are logged. Returns unsubscribe. */
  onCordoned(listener: (event: EventRow) => void): () => void;
  /**
   * Calls `listener` with every presence message once it is committed (the last of the batch per agent), e.g. to send
   * an agent what was queued for it while it was offline. Listener errors, also asynchronous ones, are logged and never fail the batch. Returns
   * unsubscribe.
   */
  onPresence(listener: (agentId: string, message: PresenceMessage) => void | Promise<void>): () => void;
  start(): void;
  /**
   * Stops accepting, drains what is queued (bounded by deadlineMs), then stops the writer: at the deadline the
   * writer gives up (no further retries; what is left is counted as `ingest.dropped.at-stop` and re-sent by the
   * agents, whose outboxes still hold it). Resolves within the deadline.
   */
  stop(deadlineMs?: number): Promise<void>;
};

export function weightOf(item: IngestItem): number {
  switch (item.kind) {
    case 'telemetry':
      return item.samples.length;
    case 'events':
      return item.events.length;
    case 'reject':
      return 1;
    default:
      return 1;
  }
}

export function createIngester(opts: IngesterOptions): Ingester {
  const { store, counters, log } = opts;
  const batchSize = opts.batchSize ?? 1000;
  const lingerMs = opts.lingerMs ?? 10;
  const now = opts.now ?? Date.now;
  const queue = createBoundedQueue<IngestItem>(opts.capacity ?? 50_000);
  const maxQueueDelayS = (opts.maxQueueDelayMs ?? 5000) / 1000;
  const maxQueueBytes = opts.maxQueueBytes ?? 32 * 1024 * 1024;
  /** Samples+events committed per second of writer time, smoothed over batches; null before the first batch. */
  let throughput: number | null = null;
  /** Mean wire bytes per record at admission, smoothed; null before the first message. */
  let recordBytes: number | null = null;
  let appliedBytes: number | null = null;
  const applyLimit = () => {
    const byTime = throughput === null ? queue.capacity : throughput * maxQueueDelayS;
    const byBytes = recordBytes === null ? queue.capacity : maxQueueBytes / recordBytes;
    // At least one batch so the writer never runs below batch size; the byte bound wins over the time bound.
    queue.setLimit(Math.max(Math.min(batchSize, byBytes), Math.min(byTime, byBytes)));
  };
  const measure = (items: IngestItem[], seconds: number) => {
    const weight = items.reduce((n, i) => n + weightOf(i), 0);
    if (weight < 10 || seconds <= 0) return; // too small to say anything
    const rate = weight / seconds;
    throughput = throughput === null ? rate : 0.8 * throughput + 0.2 * rate;
    applyLimit();
  };
  let running = false;
  let loop: Promise<void> | null = null;
  /** Set at the stop deadline: the writer stops retrying and exits. */
  let abort: (() => void) | null = null;
  let aborted = false;
  const aborting = new Promise<void>((r) => {
    abort = () => {
      aborted = true;
      r();
    };
  });
  const probe =
    opts.probe ??
    (async () => {
      await store.hosts.get('ingest-probe');
    });
  const cordons = createCordonService({ hosts: store.hosts, now });
  const listeners = new Set<(batch: { samples: SampleRow[]; events: EventRow[] }) => void>();
  const quarantineListeners = new Set<(q: Quarantined) => void>();
  const cordonListeners = new Set<(event: EventRow) => void>();
  const presenceListeners = new Set<(agentId: string, message: PresenceMessage) => void | Promise<void>>();

  async function writeBatch(items: IngestItem[]): Promise<void> {
    const samples: SampleRow[] = [];
    const events: EventRow[] = [];
    const acks = new Map<string, number[]>();
    const rejected = new Map<string, RejectedSeq[]>();
    const presence = new Map<string, PresenceMessage>();
    const hostUpdates: IngestItem[] = [];
    const ack = (agentId: string, seq: number) => {
      let a = acks.get(agentId);
      if (!a) acks.set(agentId, (a = []));
      a.push(seq);
    };
    for (const item of items) {
      switch (item.kind) {
        case 'telemetry':
          for (const s of item.samples) {
            samples.push({
              hostId: item.agentId,
              seq: s.seq,
              ts: s.ts,
              schema: s.schema,
              features: s.features,
              collectors: s.collectors ?? null,
              scores: s.scores ?? null,
            });
            ack(item.agentId, s.seq);
          }
          break;
        case 'events':
          for (const e of item.events) {
            events.push({
              hostId: item.agentId,
              seq: e.seq,
              ts: e.ts,
              type: e.type,
              severity: e.severity,
              message: e.message ?? null,
              data: e.data,
            });
            ack(item.agentId, e.seq);
          }
          break;
        case 'reject': {
          let r = rejected.get(item.agentId);
          if (!r) rejected.set(item.agentId, (r = []));
          for (const s of item.seqs) {
            ack(item.agentId, s);
            r.push({ seq: s, reason: item.reason ?? 'rejected' });
          }
          break;
        }
        case 'presence':
          presence.set(item.agentId, item.message);
          break;
        case 'inventory':
        case 'state':
          hostUpdates.push(item);
          break;
      }
    }
    // Counted as soon as committed: a later step of this batch may fail, and its retry sees these rows as duplicates.
    const insertedSamples = await store.telemetry.insertSamples(samples);
    counters.inc('ingest.samples.accepted', insertedSamples);
    counters.inc('ingest.samples.duplicates', samples.length - insertedSamples);
    const insertedEvents = await store.telemetry.insertEvents(events);
    counters.inc('ingest.events.accepted', insertedEvents);
    counters.inc('ingest.events.duplicates', events.length - insertedEvents);
    // An agent's `heal.cordon` takes effect with the batch that stores it, before the ack: if this fails, the batch is
    // retried (and a re-sent event after an uncordon does not cordon again: repositories/prisma/host-cordon.ts).
    const cordoned = await cordons.fromEvents(events);
    if (cordoned.length) counters.inc('hosts.cordoned.by-agent', cordoned.length);
    for (const e of cordoned)
      for (const l of cordonListeners) {
        try {
          l(e);
        } catch (err) {
          log.error({ err, agentId: e.hostId }, 'ingest cordon listener failed');
        }
      }
    const at = new Date(now());
    // Presence in a few statements per batch, not one per host: a reconnect storm of N agents is N presence items.
    const online: string[] = [],
      offline: string[] = [];
    for (const [agentId, p] of presence) {
      if (p.agentVersion)
        await store.hosts.setPresence(agentId, p.state === 'online', at, {
          version: p.agentVersion,
          ...(p.previousAgentVersion !== undefined ? { previous: p.previousAgentVersion } : {}),
          ...(p.platform ? { platform: p.platform } : {}),
        });
      else (p.state === 'online' ? online : offline).push(agentId);
    }
    if (online.length) await store.hosts.setPresenceMany(online, true, at);
    if (offline.length) await store.hosts.setPresenceMany(offline, false, at);
    for (const u of hostUpdates) {
      if (u.kind === 'inventory') await store.hosts.setInventory(u.agentId, u.message.inventory, u.message.hash, at);
      else if (u.kind === 'state')
        await store.hosts.setState(
          u.agentId,
          { policyVersion: u.message.policyVersion, models: u.message.models, errors: u.message.errors },
          at,
        );
    }
    for (const [agentId, p] of presence) {
      for (const l of presenceListeners) {
        try {
          void Promise.resolve(l(agentId, p)).catch((err: unknown) =>
            log.error({ err, agentId }, 'ingest presence listener failed'),
          );
        } catch (err) {
          log.error({ err, agentId }, 'ingest presence listener failed');
        }
      }
    }
    if (samples.length || events.length) {
      for (const l of listeners) {
        try {
          l({ samples, events });
        } catch (err) {
          log.error({ err }, 'ingest commit listener failed');
        }
      }
    }
    // Committed: only now may the agents drop these seqs.
    for (const [agentId, seqs] of acks) {
      const refused = rejected.get(agentId) ?? [];
      for (const ranges of toRanges(seqs)) {
        const inChunk = refused.filter((r) => ranges.some(([a, b]) => r.seq >= a && r.seq <= b));
        opts.publishAck(agentId, ranges, inChunk.length ? inChunk.slice(0, 1000) : undefined);
      }
      counters.inc('ingest.acks.published');
    }
  }

  /** Sets a unit aside for good: counted, reported, and (samples/events) acked to its agent as rejected. */
  function quarantine(unit: IngestItem, err: unknown): IngestItem | null {
    const d = describeUnit(unit);
    const reason = `database refused the ${d.kind === 'telemetry' ? 'sample' : d.kind === 'events' ? 'event' : d.kind}: ${reasonOf(err)}`;
    counters.inc(`ingest.quarantined.${d.kind}`);
    log.error({ agentId: d.agentId, kind: d.kind, seq: d.seq, reason }, 'ingest record quarantined');
    const q: Quarantined = { ...d, reason, at: now() };
    for (const l of quarantineListeners) {
      try {
        l(q);
      } catch (e) {
        log.error({ err: e }, 'quarantine listener failed');
      }
    }
    return d.seq === null ? null : { kind: 'reject', agentId: d.agentId, seqs: [d.seq], reason };
  }

  const sleep = (ms: number) =>
    new Promise<void>((r) => {
      const t = setTimeout(r, ms);
      void aborting.then(() => {
        clearTimeout(t);
        r();
      });
    });

  async function run(): Promise<void> {
    let failures = 0;
    let pending: IngestItem[] = [];
    while (!aborted && (running || queue.depth > 0 || pending.length > 0)) {
      if (pending.length === 0) {
        await Promise.race([queue.waitForItems(), aborting]);
        // Let the rest of this loop turn's socket reads reach the queue first: one commit for all of them, not one
        // per client chunk (costs no latency; the commit would have run only after them anyway).
        await new Promise<void>((r) => setImmediate(r));
        // Group commit: let more records arrive, unless a full batch is already waiting or we are stopping.
        // A plain timer: `sleep` would hang a reaction on `aborting` per call, kept until the stop.
        if (lingerMs > 0 && running && queue.depth < batchSize) await new Promise<void>((r) => setTimeout(r, lingerMs));
        if (aborted) break;
        pending = queue.take(batchSize);
        if (pending.length === 0) {
          if (!running) break;
          continue;
        }
      }
      try {
        const started = performance.now();
        await writeBatch(pending);
        measure(pending, (performance.now() - started) / 1000);
        pending = [];
        failures = 0;
        continue;
      } catch (err) {
        counters.inc('ingest.batch.failures');
        log.warn({ err, items: pending.length }, 'ingest batch failed; isolating the failing records');
      }
      if (aborted) break;
      // Bisect: commit everything that can be committed, find the records that fail on their own.
      const r = await bisect(toUnits(pending), writeBatch);
      if (r.aborted) pending = toUnits(pending);
      else {
        const retry: IngestItem[] = [];
        const rejects: IngestItem[] = [];
        // After several rounds of failing alone, ask whether the database answers at all.
        const dbAnswers =
          failures >= 3 && r.failed.length > 0
            ? await probe().then(
                () => true,
                () => false,
              )
            : false;
        for (const { unit, err } of r.failed) {
          // Quarantine only when the data is to blame: a data error, or others were committed around it, or it failed
          // alone through several rounds while the database answered. Otherwise keep it and retry (database down).
          if (isDataError(err) || r.anyCommitted || dbAnswers) {
            const rej = quarantine(unit, err);
            if (rej) rejects.push(rej);
          } else retry.push(unit);
        }
        pending = [...rejects, ...retry];
        if (retry.length === 0) {
          failures = 0;
          continue;
        }
      }
      failures++;
      counters.inc('ingest.batch.retries');
      log.error({ failures, items: pending.length }, 'ingest write failed; retrying after backoff');
      // Exponential backoff with full jitter, capped; the batch is retried (inserts are idempotent).
      await sleep(Math.random() * Math.min(5000, 50 * 2 ** failures));
      if (!running && failures > 3) break;
    }
    const left = pending.length + queue.depth;
    if (left > 0) counters.inc('ingest.dropped.at-stop', left);
  }

  return {
    offer(item, reserved) {
      return running && queue.offer(item, weightOf(item), reserved);
    },
    reserve(weight, timeoutMs) {
      if (!running) return Promise.resolve(false);
      return queue.waitForRoom(weight, timeoutMs);
    },
    tryReserve(weight) {
      return running && queue.tryReserve(weight);
    },
    release(weight) {
      queue.release(weight);
    },
    get waiting() {
      return queue.waiting;
    },
    get depth() {
      return queue.depth;
    },
    onCommitted(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    onQuarantined(listener) {
      quarantineListeners.add(listener);
      return () => {
        quarantineListeners.delete(listener);
      };
    },
    onCordoned(listener) {
      cordonListeners.add(listener);
      return () => {
        cordonListeners.delete(listener);
      };
    },
    onPresence(listener) {
      presenceListeners.add(listener);
      return () => {
        presenceListeners.delete(listener);
      };
    },
    noteRecordBytes(bytes, records) {
      if (records <= 0 || bytes <= 0) return;
      const per = bytes / records;
      recordBytes = recordBytes === null ? per : 0.95 * recordBytes + 0.05 * per;
      // Re-derive the room only when the size moved noticeably since the last time: this runs for every message.
      if (appliedBytes === null || Math.abs(recordBytes - appliedBytes) > appliedBytes * 0.05) {
        appliedBytes = recordBytes;
        applyLimit();
      }
    },
    capacity: queue.capacity,
    get limit() {
      return queue.limit;
    },
    get backlogMs() {
      return ((queue.depth + queue.reserved) / (throughput ?? batchSize)) * 1000;
    },
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
      const deadline = new Promise<void>((r) => {
        timer = setTimeout(r, deadlineMs);
      });
      await Promise.race([loop, deadline]);
      clearTimeout(timer);
      // Past the deadline: no more retries. A write already sent to the database may still finish; we do not wait.
      abort?.();
    },
  };
}
