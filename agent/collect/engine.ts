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
  last: number | null;
  running: Promise<unknown> | null;
  facts: unknown;
  status: CollectorStatus;
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
  const slots = new Map<string, Slot>(
    collectors.map((c) => [
      c.name,
      { last: null, running: null, facts: undefined, status: 'unavailable: not run yet' },
    ]),
  );
  let prev: Observation | null = null;
  let inv: Inventory | null = null;
  let stopped = false;

  async function runOne(c: Collector, now: number): Promise<void> {
    const slot = slots.get(c.name)!;
    if (c.cadence !== 'cycle' && slot.last !== null && now - slot.last < c.cadence.everySeconds * 1000) return;
    if (slot.running) {
      slot.status = 'unavailable: still running from an earlier cycle (hung)';
      slot.facts = undefined;
      return;
    }
    const ms = c.timeoutMs ?? config.timeoutMs;
    const ac = new AbortController();
    let handle: unknown;
    const timeout = new Promise<never>((_, reject) => {
      handle = timers.setTimeout(() => {
        ac.abort();
        reject(new CollectorUnavailable(`timed out after ${ms} ms`));
      }, ms);
    });
    const work = Promise.resolve().then(() => c.collect({ now, sysfs, exec, signal: ac.signal }));
    slot.running = work
      .catch(() => undefined)
      .finally(() => {
        slot.running = null;
      });
    slot.last = now;
    try {
      slot.facts = await Promise.race([work, timeout]);
      slot.status = 'ok';
    } catch (e) {
      slot.facts = undefined;
      const reason =
        e instanceof CollectorUnavailable ? e.reason : `error: ${e instanceof Error ? e.message : String(e)}`;
      slot.status = truncateCodePoints(`unavailable: ${reason}`, 256) as CollectorStatus;
    } finally {
      timers.clearTimeout(handle);
    }
  }

  return {
    async start() {
      stopped = false;
    },
    async collect(now) {
      if (stopped) throw new Error('collection engine is stopped');
      await Promise.all(collectors.map((c) => runOne(c, now)));
      const facts: Facts = {};
      const status: Record<string, CollectorStatus> = {};
      for (const [name, s] of slots) {
        status[name] = s.status;
        if (s.facts !== undefined) (facts as Record<string, unknown>)[name] = s.facts;
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
      await Promise.all([...slots.values()].map((s) => s.running));
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
