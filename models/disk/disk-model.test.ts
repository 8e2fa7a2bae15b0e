import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { readBackblazeCsv } from './backblaze-csv.ts';
import { buildDataset } from './dataset.ts';
import { FEATURE_COUNT, FEATURE_NAMES, FEATURE_SCHEMA_VERSION } from '../../contract/models/disk/features.ts';
import { INPUT_NAME, OUTPUT_NAME, treeEnsembleGraph } from './onnx-trees.ts';
import {
  NO_SPLIT_THRESHOLD,
  treeLogit,
  treeProbability,
  treesFromJson,
  treesToJson,
  type TreeEnsemble,
} from './trees.ts';
import { sha256Hex } from '../../contract/models/card.ts';

const fixture = new URL('../../test/fixtures/smart/backblaze-sample.csv', import.meta.url).pathname;
const onnxBytes = readFileSync(new URL('./disk-failure.onnx', import.meta.url));
const shipped = treesFromJson(JSON.parse(readFileSync(new URL('./disk-failure.trees.json', import.meta.url), 'utf8')));
const card = JSON.parse(readFileSync(new URL('./disk-failure.card.json', import.meta.url), 'utf8'));

/** Deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function runOnnx(bytes: Uint8Array, x: Float32Array, n: number): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(bytes);
  const out = await s.run({ [INPUT_NAME]: new ort.Tensor('float32', x, [n, FEATURE_COUNT]) });
  await s.release();
  return out[OUTPUT_NAME]!.data as Float32Array;
}

function assertAgree(m: TreeEnsemble, x: Float32Array, got: Float32Array): void {
  const n = x.length / FEATURE_COUNT;
  assert.equal(got.length, n);
  for (let i = 0; i < n; i++) {
    const ref = treeProbability(m, x.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT));
    assert.ok(Math.abs(ref - got[i]!) <= 1e-5, `row ${i}: reference ${ref} vs onnx ${got[i]}`);
  }
}

test('shipped ONNX and the TypeScript reference agree within 1e-5 on random inputs', async () => {
  const r = rng(7);
  const n = 2000;
  const x = new Float32Array(n * FEATURE_COUNT);
  for (let i = 0; i < x.length; i++) x[i] = r() < 0.3 ? 0 : Math.fround((r() - 0.2) * 12);
  // Inputs exactly on thresholds exercise the strict `<` on both sides.
  for (let t = 0; t < 40; t++)
    x[t * FEATURE_COUNT + shipped.rootFeature[t % shipped.rootFeature.length]!] =
      shipped.rootThreshold[t % shipped.rootThreshold.length]!;
  assertAgree(shipped, x, await runOnnx(onnxBytes, x, n));
});

test('shipped ONNX and the reference agree on real Backblaze rows, failing drives included', async () => {
  const ds = await buildDataset(readBackblazeCsv(fixture));
  assert.ok([...ds.failDay].filter((d) => d >= 0).length >= 5);
  const got = await runOnnx(onnxBytes, ds.x, ds.n);
  assertAgree(shipped, ds.x, got);
  // Sanity, not a quality claim: the failing drives of the sample score higher at their worst than the healthy ones.
  const best = (failed: boolean): number => {
    let m = 0;
    for (let i = 0; i < ds.n; i++) if (ds.failDay[ds.drive[i]!]! >= 0 === failed) m = Math.max(m, got[i]!);
    return m;
  };
  assert.ok(best(true) > best(false), `failed max ${best(true)} <= healthy max ${best(false)}`);
});

test('card matches the shipped bytes, schema version and input width', () => {
  assert.equal(card.sha256, sha256Hex(onnxBytes));
  assert.equal(card.featureSchemaVersion, FEATURE_SCHEMA_VERSION);
  assert.deepEqual(card.inputs[0].shape, ['N', FEATURE_COUNT]);
  assert.equal(typeof card.extra.alertThreshold, 'number');
});

test('shipped model carries the rule term, and the card states its recipe', () => {
  assert.equal(shipped.linear?.feature, FEATURE_NAMES.indexOf('log_sectors'));
  assert.equal(shipped.linear?.weight, Math.fround(card.extra.trainConfig.ruleSlope));
  assert.ok(shipped.linear.weight > 0);
  // 6.0.0: the term counts whether the disk has any sector (log1p(1)), not how many.
  assert.equal(shipped.linear.cap, Math.fround(card.extra.trainConfig.ruleCap));
  assert.equal(shipped.linear.cap, Math.fround(Math.log1p(1)));
});

test('capped rule term: the same step for one sector or thousands, in the reference and in the ONNX graph', async () => {
  const { linear: _, ...plain } = shipped;
  const term = (sectors: number): number => {
    const x = new Float32Array(FEATURE_COUNT);
    x[FEATURE_NAMES.indexOf('log_sectors')] = Math.log1p(sectors);
    return treeLogit(shipped, x) - treeLogit(plain, x);
  };
  assert.equal(term(0), 0);
  assert.ok(term(1) > 0);
  assert.equal(term(5000), term(1));
  const n = 300;
  const r = rng(17);
  const x = Float32Array.from({ length: n * FEATURE_COUNT }, () => (r() < 0.4 ? 0 : r() * 9));
  for (let i = 0; i < n; i += 7) x[i * FEATURE_COUNT + shipped.linear!.feature] = shipped.linear!.cap!;
  assertAgree(shipped, x, await runOnnx(onnxBytes, x, n));
});

test('graph of an ensemble with a linear term matches its reference, and the term survives JSON', async () => {
  const r = rng(13);
  const T = 10;
  const m: TreeEnsemble = {
    featureCount: FEATURE_COUNT,
    bias: Math.fround(-4),
    rootFeature: Int32Array.from({ length: T }, () => Math.floor(r() * FEATURE_COUNT)),
    leftFeature: Int32Array.from({ length: T }, () => Math.floor(r() * FEATURE_COUNT)),
    rightFeature: Int32Array.from({ length: T }, () => Math.floor(r() * FEATURE_COUNT)),
    rootThreshold: Float32Array.from({ length: T }, () => r() * 3),
    leftThreshold: Float32Array.from({ length: T }, () => r() * 3),
    rightThreshold: Float32Array.from({ length: T }, () => r() * 3),
    leaves: Float32Array.from({ length: T * 4 }, () => (r() - 0.5) * 2),
    linear: { feature: 3, weight: Math.fround(0.37) },
  };
  const back = treesFromJson(JSON.parse(JSON.stringify(treesToJson(m))));
  assert.deepEqual(back.linear, m.linear);
  const capped: TreeEnsemble = { ...m, linear: { feature: 3, weight: Math.fround(0.37), cap: Math.fround(1.5) } };
  assert.deepEqual(treesFromJson(JSON.parse(JSON.stringify(treesToJson(capped)))).linear, capped.linear);
  const n = 400;
  const x = Float32Array.from({ length: n * FEATURE_COUNT }, () => (r() < 0.3 ? 0 : r() * 8));
  assertAgree(m, x, await runOnnx(treeEnsembleGraph(m).toBytes(), x, n));
  assertAgree(capped, x, await runOnnx(treeEnsembleGraph(capped).toBytes(), x, n));
  // The term adds weight * x[feature] to the logit on top of the trees, whatever they do.
  const { linear: _, ...plain } = m;
  const row = x.subarray(0, FEATURE_COUNT);
  assert.ok(Math.abs(treeLogit(m, row) - treeLogit(plain, row) - m.linear!.weight * row[3]!) < 1e-9);
  // Capped, it adds weight * min(x[feature], cap).
  const big = Float32Array.from(row);
  big[3] = 7;
  assert.ok(Math.abs(treeLogit(capped, big) - treeLogit(plain, big) - capped.linear!.weight * 1.5) < 1e-6);
});

test('graph of a random ensemble (with no-split children) matches its reference', async () => {
  const r = rng(11);
  const T = 25;
  const pick = (): Int32Array => Int32Array.from({ length: T }, () => Math.floor(r() * FEATURE_COUNT));
  const thr = (): Float32Array =>
    Float32Array.from({ length: T }, () => (r() < 0.1 ? NO_SPLIT_THRESHOLD : (r() - 0.5) * 4));
  const m: TreeEnsemble = {
    featureCount: FEATURE_COUNT,
    bias: Math.fround(-2.5),
    rootFeature: pick(),
    leftFeature: pick(),
    rightFeature: pick(),
    rootThreshold: thr(),
    leftThreshold: thr(),
    rightThreshold: thr(),
    leaves: Float32Array.from({ length: T * 4 }, () => (r() - 0.5) * 2),
  };
  const n = 500;
  const x = Float32Array.from({ length: n * FEATURE_COUNT }, () => (r() - 0.5) * 6);
  assertAgree(m, x, await runOnnx(treeEnsembleGraph(m).toBytes(), x, n));
});
