import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeAgentPayload } from '../../control-plane/broker/authorize.ts';
import { seededRandom } from '../seeded-random.ts';
import { TelemetryMessage } from './payloads.ts';
import { fastTelemetryMessage } from './sample-check.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A sample shaped like a real agent's: many features, collector statuses, an anomaly score with its top features. */
function realSample(seq: number): { [k: string]: Json } {
  const features: { [k: string]: Json } = {};
  for (let i = 0; i < 110; i++) features[`cpu.core_${i}.busy_pct`] = i % 7 === 0 ? null : i * 1.25;
  return {
    seq,
    ts: 1_765_000_000_000 + seq,
    schema: 'v3',
    features,
    collectors: { cpu: 'ok', disk: 'unavailable: no /sys/block' },
    scores: {
      anomaly: {
        score: 0.12,
        model: 'anomaly-ae@1.0.0',
        top: [
          { feature: 'cpu.core_1.busy_pct', contribution: 0.4, ratio: 1.5 },
          { feature: 'cpu.core_2.busy_pct', contribution: 0.1, ratio: null },
          { feature: 'cpu.core_3.busy_pct', contribution: -0.2 },
        ],
        latencyUs: 850,
      },
      disks: [
        { device: '/dev/sda', serial: 'S3Z9NB0K', probability: 0.01, model: 'disk-gbm@2' },
        { device: '/dev/nvme0n1', probability: 0, model: 'disk-gbm@2' },
      ],
    },
  };
}

const message = (samples: Json[]): { [k: string]: Json } => ({ v: 1, samples });
const clone = <T>(x: T): T => structuredClone(x);
const bytes = (x: unknown) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x));

/** The fast path and zod alone must answer the same, down to the error text; the fast path never refuses. */
function assertSame(json: unknown): 'accepted' | 'refused' | 'partial' {
  const fast = decodeAgentPayload('agent-1', 'telemetry', bytes(json), true);
  const zodOnly = decodeAgentPayload('agent-1', 'telemetry', bytes(json), false);
  assert.deepStrictEqual(fast, zodOnly);
  assert.equal(JSON.stringify(fast), JSON.stringify(zodOnly)); // same key order too
  const direct = fastTelemetryMessage(JSON.parse(JSON.stringify(json)));
  const z = TelemetryMessage.safeParse(JSON.parse(JSON.stringify(json)));
  if (direct !== null) {
    assert.ok(z.success, `fast path accepted what zod refuses: ${JSON.stringify(json).slice(0, 200)}`);
    assert.equal(JSON.stringify(direct), JSON.stringify(z.data));
  }
  return !zodOnly.ok ? 'refused' : zodOnly.partial ? 'partial' : 'accepted';
}

/** Every path to a value inside `x` (object keys and array indices). */
function paths(x: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [];
  if (x && typeof x === 'object') {
    for (const [k, v] of Object.entries(x)) {
      const p = [...prefix, Array.isArray(x) ? Number(k) : k];
      out.push(p, ...paths(v, p));
    }
  }
  return out;
}

function setAt(root: Json, path: (string | number)[], value: Json | undefined): Json {
  const copy = clone(root);
  let o = copy as { [k: string]: Json };
  for (const k of path.slice(0, -1)) o = o[k] as { [k: string]: Json };
  const last = path[path.length - 1]!;
  if (value === undefined) {
    if (Array.isArray(o)) o.splice(Number(last), 1);
    else delete o[last];
  } else o[last] = value;
  return copy;
}

const WRONG: (Json | undefined)[] = [
  undefined,
  null,
  true,
  0,
  -1,
  1.5,
  2,
  -0.5,
  2 ** 53,
  1e308,
  '',
  'x',
  'a'.repeat(129),
  'a'.repeat(257),
  'nul\u0000',
  'lone \uD800',
  'pair \uD83D\uDE00',
  [],
  [1],
  {},
  { extra: 1 },
];

describe('fast telemetry check', () => {
  it('accepts a real-shaped batch with exactly zod’s value, without zod', () => {
    const m = message([realSample(1), realSample(2), { seq: 3, ts: 0, schema: 's', features: {} }]);
    const fast = fastTelemetryMessage(clone(m));
    assert.ok(fast, 'fast path must take the common batch');
    assert.equal(JSON.stringify(fast), JSON.stringify(TelemetryMessage.parse(clone(m))));
    assert.equal(assertSame(m), 'accepted');
  });

  it('agrees with zod on every wrong value at every path of a sample (error text included)', () => {
    const base = message([realSample(7)]);
    const all = paths(base);
    let refused = 0;
    for (const p of all) for (const w of WRONG) if (assertSame(setAt(base, p, w)) === 'refused') refused++;
    // Most mutations are refusals; some are still valid (e.g. a null feature, a dropped optional field).
    assert.ok(refused > all.length * 5, `${refused} refusals of ${all.length * WRONG.length}`);
  });

  it('agrees with zod when one sample of several is bad (partial acceptance) and on bad envelopes', () => {
    const bad = setAt(realSample(2), ['features', 'cpu.core_1.busy_pct'], 'high');
    assert.equal(assertSame(message([realSample(1), bad, realSample(3)])), 'partial');
    for (const m of [
      null,
      [],
      'text',
      42,
      {},
      { v: 2, samples: [realSample(1)] },
      { v: 1 },
      { v: 1, samples: [] },
      { v: 1, samples: {} },
      { v: 1, samples: Array.from({ length: 1001 }, (_, i) => realSample(i + 1)) },
      { v: 1, samples: [realSample(1)], extra: true },
    ])
      assertSame(m as Json);
  });

  it('lets zod answer for names and keys it must refuse or rewrite', () => {
    for (const key of ['__proto__', 'constructor', 'prototype', 'bad name', 'é', '', 'a'.repeat(129)]) {
      const raw = `{"v":1,"samples":[{"seq":1,"ts":1,"schema":"s","features":{${JSON.stringify(key)}:1}}]}`;
      assert.equal(assertSame(raw), 'refused', key);
      const col = `{"v":1,"samples":[{"seq":1,"ts":1,"schema":"s","features":{},"collectors":{${JSON.stringify(key)}:"ok"}}]}`;
      assertSame(col);
    }
  });

  it('agrees with zod on randomly mutated batches', () => {
    const random = seededRandom(16);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    for (let n = 0; n < 300; n++) {
      let m: Json = message([realSample(1), realSample(2)]);
      const edits = 1 + Math.floor(random() * 3);
      for (let e = 0; e < edits; e++) m = setAt(m, pick(paths(m)), pick(WRONG));
      assertSame(m);
    }
  });
});
