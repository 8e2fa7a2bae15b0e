import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { seededRandom } from '../../contract/seeded-random.ts';
import { buildMvGraph } from './graph.ts';
import { createMvState, MV_FROWS, MV_HISTORY, MV_IO, MV_PARAMS, MV_SROWS, stepMv } from './reference.ts';
import type { MvParams, MvState } from './reference.ts';

/** Rows exercising every branch: daily pattern, noise, a constant feature, missing values, a level shift, a spike. */
function synth(n: number, F: number, seed: number): { rows: Float32Array[]; slots: number[] } {
  const rnd = seededRandom(seed);
  const rows: Float32Array[] = [];
  const slots: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = new Float32Array(F);
    const slot = i % 9;
    for (let j = 0; j < F; j++) {
      if (j === 0) x[j] = 0.5;
      else if (j === 1) x[j] = slot * 0.1 + rnd() * 0.01;
      else x[j] = 10 * j + rnd() * j + (j === 2 && i > n / 2 ? 30 : 0);
      if (rnd() < 0.05) x[j] = Number.NaN;
    }
    if (i === Math.floor(n * 0.8)) x[F - 1] = 1e4;
    rows.push(x);
    slots.push(i % 41 === 3 ? -1 : slot);
  }
  return { rows, slots };
}

async function maxDiff(params: MvParams, F: number, n: number, dim: number | string): Promise<number> {
  const sess = await ort.InferenceSession.create(buildMvGraph(params, dim).bytes);
  const { rows, slots } = synth(n, F, 7 + F);
  let ref: MvState = createMvState(F, params.slots);
  let fs = new Float32Array(MV_FROWS * F);
  let gs = new Float32Array(MV_HISTORY);
  const ss = new Float32Array(params.slots * MV_SROWS * F);
  const size = MV_SROWS * F;
  let worst = 0;
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(a), Math.abs(b));
  for (const [t, x] of rows.entries()) {
    const slot = slots[t]!;
    const r = stepMv(params, ref, x, slot);
    const season = slot >= 0 ? ss.slice(slot * size, (slot + 1) * size) : new Float32Array(size);
    const o = await sess.run({
      [MV_IO.inputs.x]: new ort.Tensor('float32', x, [1, F]),
      [MV_IO.inputs.fstate]: new ort.Tensor('float32', fs, [MV_FROWS, F]),
      [MV_IO.inputs.gstate]: new ort.Tensor('float32', gs, [1, MV_HISTORY]),
      [MV_IO.inputs.season]: new ort.Tensor('float32', season, [MV_SROWS, F]),
    });
    if (slot >= 0) ss.set(o[MV_IO.outputs.season]!.data as Float32Array, slot * size);
    const pairs: [ArrayLike<number>, ArrayLike<number>][] = [
      [[r.score], o[MV_IO.outputs.score]!.data as Float32Array],
      [r.contributions, o[MV_IO.outputs.contributions]!.data as Float32Array],
      [r.baseline, o[MV_IO.outputs.baseline]!.data as Float32Array],
      [r.state.f, o[MV_IO.outputs.fstate]!.data as Float32Array],
      [r.state.g, o[MV_IO.outputs.gstate]!.data as Float32Array],
      [r.state.s, ss],
    ];
    for (const [a, b] of pairs) {
      assert.equal(a.length, b.length);
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, rel(a[i]!, b[i]!));
    }
    ref = r.state;
    fs = new Float32Array(o[MV_IO.outputs.fstate]!.data as Float32Array);
    gs = new Float32Array(o[MV_IO.outputs.gstate]!.data as Float32Array);
  }
  return worst;
}

test('multivariate graph matches the reference step for step (onnxruntime), fixed and dynamic feature count', async () => {
  const params: MvParams = { ...MV_PARAMS, slots: 9, warm: 5, shiftLen: 20, seasonMin: 2 };
  assert.ok((await maxDiff(params, 6, 600, 6)) < 1e-5);
  assert.ok((await maxDiff(params, 5, 400, 'F')) < 1e-5);
  assert.ok((await maxDiff(params, 1, 300, 'F')) < 1e-5);
});

test('a single-sample spike never reaches the alert level; a sustained shift does, then the level re-learns', () => {
  const F = 4;
  let s = createMvState(F, MV_PARAMS.slots);
  const rnd = seededRandom(3);
  const scores: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const x = Float32Array.from({ length: F }, (_, j) => 100 + j + rnd() * 2);
    if (i === 2000) x[0] = 400;
    if (i >= 2500) for (let j = 0; j < F; j++) x[j] = x[j]! + 50;
    const r = stepMv(MV_PARAMS, s, x, -1);
    scores.push(r.score);
    s = r.state;
  }
  assert.ok(
    scores.slice(2000, 2010).every((v) => v < 0.5),
    `spike scored ${scores.slice(2000, 2005)}`,
  );
  assert.ok(
    scores.slice(2502, 2520).every((v) => v > 0.5),
    'sustained shift alerts',
  );
  assert.ok(
    scores.slice(2900).every((v) => v < 0.5),
    'level re-learnt after the shift',
  );
});
