import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { buildAnomalyGraph } from './graph.ts';
import { sha256Hex } from '../../contract/models/card.ts';
import { seasonalBucket } from '../../contract/models/seasonal.ts';
import { parseNabTime } from '../nab/dataset.ts';
import {
  ANOMALY_IO,
  DEFAULT_PARAMS,
  FSTATE_ROWS,
  GSTATE_COLS,
  SSTATE_ROWS,
  createAnomalyState,
  stepAnomaly,
} from './reference.ts';
import type { AnomalyParams, AnomalyState } from './reference.ts';

const fixtureRows = readFileSync(
  new URL('../../test/fixtures/nab/machine_temperature_head400.csv', import.meta.url),
  'utf8',
)
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => l.split(','));
const fixture = fixtureRows.map((r) => Number(r[1]));
const fixtureTimes = fixtureRows.map((r) => parseNabTime(r[0]!));

/** Buckets of samples every 20 minutes (each hour bucket seen 3 times a day), with unknown times (-1) and the day's
 * last millisecond mixed in. */
function synthBuckets(n: number, K: number): number[] {
  return Array.from({ length: n }, (_, i) =>
    i % 53 === 7 ? -1 : seasonalBucket(i % 61 === 5 ? 86_400_000 * 3 - 1 : 1_700_000_000_000 + i * 1_200_000, K),
  );
}

/** One graph step the way the agent's driver takes it: the bucket's rows of `ss` [K,3,F] in, season_out written back
 * (zeros in and nothing kept for an unknown time). */
async function graphStep(
  sess: ort.InferenceSession,
  x: Float32Array,
  fs: Float32Array,
  gs: Float32Array,
  ss: Float32Array,
  bucket: number,
  F: number,
): Promise<ort.InferenceSession.OnnxValueMapType> {
  const size = SSTATE_ROWS * F;
  const season = bucket >= 0 ? ss.slice(bucket * size, (bucket + 1) * size) : new Float32Array(size);
  const o = await sess.run({
    [ANOMALY_IO.inputs.x]: new ort.Tensor('float32', x, [1, F]),
    [ANOMALY_IO.inputs.fstate]: new ort.Tensor('float32', fs, [FSTATE_ROWS, F]),
    [ANOMALY_IO.inputs.gstate]: new ort.Tensor('float32', gs, [1, GSTATE_COLS]),
    [ANOMALY_IO.inputs.season]: new ort.Tensor('float32', season, [SSTATE_ROWS, F]),
  });
  if (bucket >= 0) ss.set(o[ANOMALY_IO.outputs.season]!.data as Float32Array, bucket * size);
  return o;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

async function compare(
  params: AnomalyParams,
  F: number,
  rows: Float32Array[],
  dim: number | string,
  buckets: number[],
): Promise<number> {
  const sess = await ort.InferenceSession.create(buildAnomalyGraph(params, dim).bytes);
  const K = params.seasonBuckets;
  let ref: AnomalyState = createAnomalyState(F, K);
  let fs: Float32Array = new Float32Array(FSTATE_ROWS * F);
  let gs: Float32Array = new Float32Array(GSTATE_COLS);
  const ss = new Float32Array(K * SSTATE_ROWS * F);
  let worst = 0;
  for (const [t, x] of rows.entries()) {
    const r = stepAnomaly(params, ref, x, buckets[t]!);
    const o = await graphStep(sess, x, fs, gs, ss, buckets[t]!, F);
    const pairs: [ArrayLike<number>, ArrayLike<number>][] = [
      [[r.score], o[ANOMALY_IO.outputs.score]!.data as Float32Array],
      [r.contributions, o[ANOMALY_IO.outputs.contributions]!.data as Float32Array],
      [r.baseline, o[ANOMALY_IO.outputs.baseline]!.data as Float32Array],
      [r.state.f, o[ANOMALY_IO.outputs.fstate]!.data as Float32Array],
      [r.state.g, o[ANOMALY_IO.outputs.gstate]!.data as Float32Array],
      [r.state.s, ss],
    ];
    for (const [a, b] of pairs) {
      assert.equal(a.length, b.length);
      for (let i = 0; i < a.length; i++) {
        const scale = Math.max(1, Math.abs(a[i]!));
        worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / scale);
      }
    }
    ref = r.state;
    fs = o[ANOMALY_IO.outputs.fstate]!.data as Float32Array;
    gs = o[ANOMALY_IO.outputs.gstate]!.data as Float32Array;
  }
  return worst;
}

// Short warm-ups so the 400-row slice exercises detection, records, the envelope, re-baselining and seasonal buckets.
const fast: AnomalyParams = { ...DEFAULT_PARAMS, warmup: 20, seasonWarmup: 3 };

test('ONNX graph and reference agree within 1e-5 on a real NAB slice (univariate, fixed F=1)', async () => {
  const rows = fixture.map((v) => new Float32Array([v]));
  const buckets = fixtureTimes.map((t) => seasonalBucket(t, DEFAULT_PARAMS.seasonBuckets));
  assert.ok((await compare(fast, 1, rows, 1, buckets)) <= 1e-5);
  assert.ok((await compare(DEFAULT_PARAMS, 1, rows, 1, buckets)) <= 1e-5);
});

test('ONNX graph and reference agree within 1e-5 on random multivariate input with NaNs, spikes and shifts (dynamic F)', async () => {
  const rand = rng(7);
  const F = 12;
  const rows: Float32Array[] = [];
  for (let t = 0; t < 400; t++) {
    const x = new Float32Array(F);
    for (let j = 0; j < F; j++) {
      const base = j * 10 + Math.sin((t + j) / 10) * 3 + (t > 250 && j === 3 ? 40 : 0);
      x[j] = rand() < 0.05 ? NaN : base + rand() + (rand() < 0.01 ? 50 : 0);
    }
    rows.push(x);
  }
  assert.ok((await compare(fast, F, rows, 'F', synthBuckets(rows.length, fast.seasonBuckets))) <= 1e-5);
});

test('random parameters also agree (graph is generic in its initializers)', async () => {
  const rand = rng(3);
  const p: AnomalyParams = {
    ...fast,
    seasonBuckets: 7,
    seasonRate: rand() * 0.2,
    alpha: 0.01 + rand() * 0.05,
    alphaLong: 0.001 + rand() * 0.01,
    clip: 2 + rand() * 10,
    tau: 0.5 + rand() * 3,
    recordRate: rand() * 0.05,
    recordGain: 1 + rand() * 50,
    envDecay: 0.9 + rand() * 0.1,
    spTol: rand() * 0.05,
  };
  const rows = fixture.slice(0, 200).map((v, i) => new Float32Array([v, i % 17 === 0 ? NaN : v * 0.5 + (i % 24)]));
  assert.ok((await compare(p, 2, rows, 'F', synthBuckets(rows.length, p.seasonBuckets))) <= 1e-5);
});

test('batched graph (B independent streams per call) agrees with B separate reference runs within 1e-5', async () => {
  const rand = rng(11);
  const Bn = 5;
  const F = 2;
  const sess = await ort.InferenceSession.create(buildAnomalyGraph(fast, 'F', '', { batch: 'B' }).bytes);
  const K = fast.seasonBuckets;
  const refs: AnomalyState[] = Array.from({ length: Bn }, () => createAnomalyState(F, K));
  let fs: Float32Array = new Float32Array(FSTATE_ROWS * Bn * F);
  let gs: Float32Array = new Float32Array(GSTATE_COLS * Bn);
  const ss = new Float32Array(Bn * K * SSTATE_ROWS * F); // lane b's buckets at b * K * 3 * F: [K,3,F] per lane
  const buckets = synthBuckets(300 + 17 * Bn, K);
  let worst = 0;
  let alerts = 0;
  for (let t = 0; t < 300; t++) {
    const x = new Float32Array(Bn * F);
    for (let b = 0; b < Bn; b++) {
      for (let j = 0; j < F; j++)
        x[b * F + j] =
          rand() < 0.03 ? NaN : fixture[(t + 37 * b) % fixture.length]! * (j + 1) + (t > 200 && b === 2 ? 30 : 0);
    }
    // each lane at its own time (hosts in different phases): gather each lane's bucket into season [3,B,F]
    const season = new Float32Array(SSTATE_ROWS * Bn * F);
    const laneBucket = (b: number) => buckets[t + 17 * b]!;
    for (let b = 0; b < Bn; b++) {
      if (laneBucket(b) < 0) continue;
      for (let row = 0; row < SSTATE_ROWS; row++)
        for (let j = 0; j < F; j++)
          season[(row * Bn + b) * F + j] = ss[((b * K + laneBucket(b)) * SSTATE_ROWS + row) * F + j]!;
    }
    const o = await sess.run({
      [ANOMALY_IO.inputs.x]: new ort.Tensor('float32', x, [1, Bn, F]),
      [ANOMALY_IO.inputs.fstate]: new ort.Tensor('float32', fs, [FSTATE_ROWS, Bn, F]),
      [ANOMALY_IO.inputs.gstate]: new ort.Tensor('float32', gs, [1, Bn, GSTATE_COLS]),
      [ANOMALY_IO.inputs.season]: new ort.Tensor('float32', season, [SSTATE_ROWS, Bn, F]),
    });
    const score = o[ANOMALY_IO.outputs.score]!.data as Float32Array;
    const contrib = o[ANOMALY_IO.outputs.contributions]!.data as Float32Array;
    fs = o[ANOMALY_IO.outputs.fstate]!.data as Float32Array;
    gs = o[ANOMALY_IO.outputs.gstate]!.data as Float32Array;
    const seasonOut = o[ANOMALY_IO.outputs.season]!.data as Float32Array;
    for (let b = 0; b < Bn; b++) {
      if (laneBucket(b) < 0) continue;
      for (let row = 0; row < SSTATE_ROWS; row++)
        for (let j = 0; j < F; j++)
          ss[((b * K + laneBucket(b)) * SSTATE_ROWS + row) * F + j] = seasonOut[(row * Bn + b) * F + j]!;
    }
    for (let b = 0; b < Bn; b++) {
      const r = stepAnomaly(fast, refs[b]!, x.subarray(b * F, (b + 1) * F), laneBucket(b));
      refs[b] = r.state;
      if (r.score > 0) alerts++;
      worst = Math.max(worst, Math.abs(r.score - score[b]!));
      for (let j = 0; j < F; j++) worst = Math.max(worst, Math.abs(r.contributions[j]! - contrib[b * F + j]!));
      for (let row = 0; row < FSTATE_ROWS; row++) {
        for (let j = 0; j < F; j++) {
          const a = r.state.f[row * F + j]!;
          worst = Math.max(worst, Math.abs(a - fs[(row * Bn + b) * F + j]!) / Math.max(1, Math.abs(a)));
        }
      }
      for (let k = 0; k < K * SSTATE_ROWS; k++) {
        for (let j = 0; j < F; j++) {
          const a = r.state.s[k * F + j]!;
          worst = Math.max(worst, Math.abs(a - ss[(b * K * SSTATE_ROWS + k) * F + j]!) / Math.max(1, Math.abs(a)));
        }
      }
      for (let c = 0; c < GSTATE_COLS; c++)
        worst = Math.max(
          worst,
          Math.abs(r.state.g[c]! - gs[b * GSTATE_COLS + c]!) / Math.max(1, Math.abs(r.state.g[c]!)),
        );
    }
  }
  assert.ok(alerts > 0, 'the slice should raise some scores');
  assert.ok(worst <= 1e-5, `worst ${worst}`);
});

test('the graph stays small: per-call cost in onnxruntime grows ~0.3-0.6 us per node', () => {
  // 71 nodes for the level/likelihood/record model + 17 for the time-of-day baseline of the fed bucket (seasonal
  // surprise, bucket update), which lifted NAB standard from 61.2 to 68.4, + 2 for the envelope's refractory lift
  // (68.4 to 75.3; see the card).
  const { nodes } = buildAnomalyGraph(DEFAULT_PARAMS, 'F');
  assert.ok(nodes <= 90, `graph has ${nodes} nodes`);
});

test('shipped models load, match their cards and carry the current DEFAULT_PARAMS', async () => {
  for (const file of ['anomaly-uni', 'anomaly-perfeature']) {
    const bytes = readFileSync(new URL(`./${file}.onnx`, import.meta.url));
    const card = JSON.parse(readFileSync(new URL(`./${file}.card.json`, import.meta.url), 'utf8')) as {
      sha256: string;
      extra: { params: Record<string, number> };
    };
    assert.equal(sha256Hex(bytes), card.sha256, `${file}.onnx differs from its card; re-run models/anomaly/export.ts`);
    const sess = await ort.InferenceSession.create(bytes);
    assert.deepEqual([...sess.inputNames], Object.values(ANOMALY_IO.inputs));
    assert.deepEqual(card.extra.params, { ...DEFAULT_PARAMS });
  }
});
