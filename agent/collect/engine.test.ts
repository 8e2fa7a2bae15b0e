import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Sample } from '../../contract/protocol/payloads.ts';
import type { SampleSource } from '../pipeline/types.ts';
import { FEATURE_SCHEMA_VERSION, MODEL_FEATURES } from '../../contract/features/schema.ts';
import { createCollectionEngine, type Timers } from './engine.ts';
import { CollectorUnavailable, type Collector } from './types.ts';

/** Timers the test fires by hand. */
function manualTimers(): Timers & { fire(): void; pending(): number } {
  const t = new Map<number, () => void>();
  let id = 0;
  return {
    setTimeout: (fn) => {
      t.set(++id, fn);
      return id;
    },
    clearTimeout: (h) => {
      t.delete(h as number);
    },
    fire: () => {
      for (const [k, fn] of [...t]) {
        t.delete(k);
        fn();
      }
    },
    pending: () => t.size,
  };
}
const flush = () => new Promise((r) => setImmediate(r));

const okMemory: Collector<'memory'> = {
  name: 'memory',
  cadence: 'cycle',
  collect: async () => ({
    totalBytes: 1000,
    availableBytes: 400,
    freeBytes: 100,
    cachedBytes: 200,
    buffersBytes: 0,
    usedBytes: 600,
    swapTotalBytes: 0,
    swapFreeBytes: 0,
    pswpin: 0,
    pswpout: 0,
    pgmajfault: 0,
    pageSizeBytes: 4096,
    ecc: null,
    pressure: null,
    ioPressure: null,
  }),
};

test('a throwing collector and a hanging one are isolated; the cycle completes', async () => {
  const timers = manualTimers();
  const throws: Collector<'cpu'> = {
    name: 'cpu',
    cadence: 'cycle',
    collect: async () => {
      throw new Error('boom');
    },
  };
  const hangs: Collector<'disks'> = {
    name: 'disks',
    cadence: 'cycle',
    timeoutMs: 50,
    collect: () => new Promise(() => {}),
  };
  const missing: Collector<'sensors'> = {
    name: 'sensors',
    cadence: 'cycle',
    collect: async () => {
      throw new CollectorUnavailable('no hwmon');
    },
  };
  const engine = await createCollectionEngine({ collectors: [throws, hangs, missing, okMemory], timers });
  await engine.start();
  const p = engine.collect(1_000_000);
  await flush();
  timers.fire();
  const r = await p;
  assert.deepEqual(r.collectors, {
    cpu: 'unavailable: error: boom',
    disks: 'unavailable: timed out after 50 ms',
    sensors: 'unavailable: no hwmon',
    memory: 'ok',
  });
  assert.equal(r.features['mem.used_pct'], 60);
  assert.equal(r.features['cpu.util_pct'], null);
  assert.equal(r.features['disk.iops'], null);
  assert.deepEqual(Object.keys(r.facts), ['memory']);
  // Next cycle: the hung collector is not started again while its first run is still pending.
  const r2 = await engine.collect(1_010_000);
  assert.equal(r2.collectors.disks, 'unavailable: still running from an earlier cycle (hung)');
  assert.equal(timers.pending(), 0);
});

test('slow collectors run on their cadence and their last reading is carried forward', async () => {
  let runs = 0;
  const smart: Collector<'smart'> = {
    name: 'smart',
    cadence: { everySeconds: 600 },
    collect: async () => {
      runs++;
      return { disks: [], skipped: {} };
    },
  };
  const engine = await createCollectionEngine({ collectors: [smart, okMemory] });
  await engine.start();
  for (let i = 0; i < 61; i++) {
    const r = await engine.collect(i * 10_000);
    assert.equal(r.collectors.smart, 'ok');
    assert.equal(r.features['smart.failing_disks'], 0);
  }
  assert.equal(runs, 2); // t=0 and t=600 s
  await engine.stop();
  await assert.rejects(engine.collect(700_000), /stopped/);
});

test('live engine on this machine: every wire feature validates as a Sample, model features all present', async () => {
  const engine = await createCollectionEngine({ disable: ['smart'] });
  const asPipelineSource: SampleSource = engine; // the runtime's port accepts the engine as-is
  await asPipelineSource.start();
  await engine.collect(Date.now());
  const r = await engine.collect(Date.now() + 10_000);
  assert.equal(r.schema, FEATURE_SCHEMA_VERSION);
  for (const f of MODEL_FEATURES) assert.ok(f in r.features, f);
  const sample = Sample.parse({ seq: 1, ts: r.ts, schema: r.schema, features: r.features, collectors: r.collectors });
  assert.equal(sample.collectors?.cpu, 'ok');
  assert.match(r.collectors.sensors ?? '', /^unavailable: /);
  assert.deepEqual(engine.spawnStats().byCaller, {}, 'nothing spawned on the fast path');
  await engine.stop();
});

test('inventory: stable hash, cached until the refresh interval passes', async () => {
  let now = 0,
    reads = 0;
  const engine = await createCollectionEngine({
    inventory: async () => {
      reads++;
      return { cpu: { cores: 2 }, os: { kernel: '6.1' } };
    },
    now: () => now,
  });
  const a = await engine.inventory();
  now = 3_600_000;
  const b = await engine.inventory();
  assert.equal(reads, 1);
  assert.equal(a, b);
  now = 86_400_000;
  const c = await engine.inventory();
  assert.equal(reads, 2);
  assert.equal(c.hash, a.hash);
  assert.match(a.hash, /^[0-9a-f]{64}$/);
});

test('config errors name every bad key at once', async () => {
  await assert.rejects(
    createCollectionEngine({ topProcesses: 0, pidfiles: { web: 'relative.pid' } }),
    (e: Error) => /topProcesses/.test(e.message) && /pidfiles\.web: pidfile paths are absolute/.test(e.message),
  );
});

test('a timed-out collector is aborted, its next run gets a fresh signal; timers are one per timeout value per cycle', async () => {
  const timers = manualTimers();
  const signals: AbortSignal[] = [];
  let hang = true;
  const slow: Collector<'disks'> = {
    name: 'disks',
    cadence: 'cycle',
    timeoutMs: 50,
    collect: ({ signal }) => {
      signals.push(signal);
      return hang
        ? new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))))
        : Promise.resolve([]);
    },
  };
  const engine = await createCollectionEngine({ collectors: [slow, okMemory], timers });
  const p = engine.collect(0);
  await flush();
  assert.equal(timers.pending(), 2); // 50 ms (disks) and the default (memory)
  timers.fire();
  assert.equal((await p).collectors.disks, 'unavailable: timed out after 50 ms');
  assert.equal(signals[0]?.aborted, true);
  await flush(); // the aborted run settles
  hang = false;
  const r = await engine.collect(10_000);
  assert.equal(r.collectors.disks, 'ok');
  assert.equal(signals[1]?.aborted, false);
  assert.notEqual(signals[1], signals[0]);
  await engine.collect(20_000);
  assert.equal(signals[2], signals[1]); // reused while never aborted
  assert.equal(timers.pending(), 0);
});
