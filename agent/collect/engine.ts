/**
 * The live collection engine: runs each due collector with its own timeout, isolates failures (status
 * `unavailable: …`, facts absent), carries slow collectors' last readings forward, and turns facts into the
 * feature vector with the previous cycle's facts.
 */
import { extractFeatures, type Observation } from '../features/extract.ts';
import { FEATURE_SCHEMA_VERSION } from '../../contract/features/schema.ts';
import { collectConfig, type CollectOptions } from './config.ts';
import { defaultCollectors } from './collectors/index.ts';
import { createExec } from './exec.ts';
import { collectInventory } from './inventory.ts';
import { createSysFs } from './sysfs.ts';
import { truncateCodePoints } from '../../contract/truncate.ts';
import {
  CollectorUnavailable,
  type CollectContext,
  type CollectionEngine,
  type Collector,
  type CollectorStatus,
  type CycleReading,
  type ExecPort,
  type Facts,
  type Inventory,
  type SysFs,
} from './types.ts';

/** Injectable timers (default: the global ones). */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface EngineOptions extends CollectOptions {
  sysfs?: SysFs;
  exec?: ExecPort;
  timers?: Timers;
  /** Replaces the default collector set (tests, custom agents). */
  collectors?: Collector[];
  /** Replaces the systeminformation inventory (tests). */
  inventory?: () => Promise<Record<string, unknown>>;
  /** Clock for inventory timestamps (default Date.now). */
  now?: () => number;
}

interface Slot {
  collector: Collector;
  /** Its timeout (ms). */
  ms: number;
  last: number | null;
  running: Promise<unknown> | null;
  /** 'running' until the run settles or times out ('late': timed out, its work not settled yet). */
  phase: 'idle' | 'running' | 'late';
  facts: unknown;
  status: CollectorStatus;
  /** Reused from run to run until a timeout aborts it (then a fresh one). */
  ac: AbortController;
  /** The context handed to each run (only `now` and `signal` change). */
  ctx: CollectContext;
  /** Settlement handlers, made once: a run allocates no closures. */
  onValue: (v: unknown) => void;
  onError: (e: unknown) => void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Creates the engine. Defaults: real /proc and /sys, counting exec, default collectors from the config. */
export async function createCollectionEngine(options: EngineOptions = {}): Promise<CollectionEngine> {
  const config = collectConfig(stripPorts(options));
  const sysfs = options.sysfs ?? createSysFs('/');
  const exec = options.exec ?? createExec();
  const timers = options.timers ?? realTimers;
  const clock = options.now ?? Date.now;
  const collectors = options.collectors ?? defaultCollectors(config, await pageSize(sysfs));
  let prev: Observation | null = null;
  let inv: Inventory | null = null;
  let stopped = false;

  // One cycle's bookkeeping. Collectors settle within microtasks in the common case; the timeouts are one timer per
  // distinct timeout value among the collectors started (not a timer, an AbortController and a Promise.race per
  // collector per cycle), cleared when the cycle completes.
  let pending = 0;
  let cycleDone: (() => void) | null = null;
  const cycleTimers = new Map<number, unknown>();
  const settled = (slot: Slot) => {
    slot.phase = 'idle';
    slot.running = null;
  };
  const finishOne = () => {
    if (--pending === 0 && cycleDone) {
      const done = cycleDone;
      cycleDone = null;
      done();
    }
  };
  const makeSlot = (c: Collector): Slot => {
    const ac = new AbortController();
    const slot: Slot = {
      collector: c,
      ms: c.timeoutMs ?? config.timeoutMs,
      last: null,
      running: null,
      phase: 'idle',
      facts: undefined,
      status: 'unavailable: not run yet',
      ac,
      ctx: { now: 0, sysfs, exec, signal: ac.signal },
      onValue: (v) => {
        if (slot.phase === 'running') {
          slot.facts = v;
          slot.status = 'ok';
          settled(slot);
          finishOne();
        } else settled(slot); // late: its timeout already said unavailable
      },
      onError: (e) => {
        if (slot.phase === 'running') {
          slot.facts = undefined;
          const reason =
            e instanceof CollectorUnavailable ? e.reason : `error: ${e instanceof Error ? e.message : String(e)}`;
          slot.status = truncateCodePoints(`unavailable: ${reason}`, 256) as CollectorStatus;
          settled(slot);
          finishOne();
        } else settled(slot);
      },
    };
    return slot;
  };
  const slots = collectors.map(makeSlot);

  function timeOut(ms: number): void {
    cycleTimers.delete(ms);
    for (const slot of slots) {
      if (slot.phase !== 'running' || slot.ms !== ms) continue;
      slot.phase = 'late';
      slot.facts = undefined;
      slot.status = `unavailable: timed out after ${ms} ms`;
      slot.ac.abort();
      finishOne();
    }
  }

  /** Starts the collector when due; true when it runs (and will call finishOne). */
  function startOne(slot: Slot, now: number): boolean {
    const c = slot.collector;
    if (c.cadence !== 'cycle' && slot.last !== null && now - slot.last < c.cadence.everySeconds * 1000) return false;
    if (slot.running) {
      slot.status = 'unavailable: still running from an earlier cycle (hung)';
      slot.facts = undefined;
      return false;
    }
    if (slot.ac.signal.aborted) {
      slot.ac = new AbortController();
      slot.ctx.signal = slot.ac.signal;
    }
    slot.ctx.now = now;
    slot.last = now;
    slot.phase = 'running';
    let work: Promise<unknown>;
    try {
      work = Promise.resolve(c.collect(slot.ctx));
    } catch (e) {
      work = Promise.reject(e);
    }
    slot.running = work;
    work.then(slot.onValue, slot.onError);
    if (!cycleTimers.has(slot.ms))
      cycleTimers.set(
        slot.ms,
        timers.setTimeout(() => timeOut(slot.ms), slot.ms),
      );
    return true;
  }

  function runDue(now: number): Promise<void> | null {
    pending = 1; // held until every due collector is started
    for (const slot of slots) if (startOne(slot, now)) pending++;
    if (--pending === 0) return null;
    return new Promise<void>((resolve) => {
      cycleDone = resolve;
    });
  }

  return {
    async start() {
      stopped = false;
    },
    async collect(now) {
      if (stopped) throw new Error('collection engine is stopped');
      const wait = runDue(now);
      if (wait) await wait;
      for (const handle of cycleTimers.values()) timers.clearTimeout(handle);
      cycleTimers.clear();
      const facts: Facts = {};
      const status: Record<string, CollectorStatus> = {};
      for (const s of slots) {
        status[s.collector.name] = s.status;
        if (s.facts !== undefined) (facts as Record<string, unknown>)[s.collector.name] = s.facts;
      }
      const obs: Observation = { ts: now, facts };
      const features = extractFeatures(obs, prev);
      prev = obs;
      return { ts: now, schema: FEATURE_SCHEMA_VERSION, features, collectors: status, facts } satisfies CycleReading;
    },
    async inventory() {
      const now = clock();
      if (!inv || now - inv.ts >= config.inventoryEverySeconds * 1000) {
        inv = await collectInventory(now, options.inventory);
      }
      return inv;
    },
    async stop() {
      stopped = true;
      // Graceful drain: wait for in-flight collectors (bounded by their own timeouts).
      await Promise.all(slots.map((s) => s.running?.catch(() => undefined)));
      sysfs.release?.(); // descriptors the process scan kept open
    },
    spawnStats() {
      return { byCaller: exec.spawns(), fastPath: collectors.filter((c) => c.cadence === 'cycle').map((c) => c.name) };
    },
  };
}

function stripPorts(o: EngineOptions): CollectOptions {
  const { sysfs: _s, exec: _e, timers: _t, collectors: _c, inventory: _i, now: _n, ...rest } = o;
  return rest;
}

/** Page size from /proc/self/status VmRSS (kB) / statm resident pages; 4096 when unreadable. */
async function pageSize(fs: SysFs): Promise<number> {
  const status = await fs.read('/proc/self/status');
  const statm = await fs.read('/proc/self/statm');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status ?? '')?.[1]);
  const pages = Number(statm?.split(' ')[1]);
  if (!(kb > 0 && pages > 0)) return 4096;
  const guess = (kb * 1024) / pages;
  return [4096, 16384, 65536].reduce((a, b) => (Math.abs(b - guess) < Math.abs(a - guess) ? b : a));
}
