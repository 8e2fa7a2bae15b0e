import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_PARAMS,
  FSTATE_ROWS,
  SEASON_UPDATE_EVERY_MS,
  SSTATE_ROWS,
  createAnomalyState,
  stepAnomaly,
} from '../../models/anomaly/reference.ts';
import { ModelError } from '../../contract/errors.ts';
import { SHIPPED_MODELS } from './inference.ts';
import { readModelFile } from './model-file.ts';
import { createOnnxEngine } from './onnx-engine.ts';
import { seasonalBucket, seasonalSpec, slotKey } from '../../contract/models/seasonal.ts';
import {
  decodeF32,
  encodeF32,
  initialState,
  restoreState,
  snapshotState,
  stepStateful,
  type ModelState,
} from './stateful-model.ts';

/** The univariate anomaly model 4.0.0 run per feature (anomaly-perfeature; the agent's default is anomaly-multi 6): these
 * tests exercise its tensor layout. */
const PERFEATURE_MODEL = SHIPPED_MODELS.anomaly.replace('anomaly-multi', 'anomaly-perfeature');

const HOUR = 3_600_000;

describe('seasonalBucket', () => {
  it('is the UTC hour for 24 buckets of a day, also before the epoch, and -1 without a time', () => {
    assert.equal(seasonalBucket(Date.UTC(2026, 10, 22, 13, 30), 24), 13);
    assert.equal(seasonalBucket(Date.UTC(2026, 10, 22, 0, 0), 24), 0);
    assert.equal(seasonalBucket(Date.UTC(2026, 10, 22, 23, 59, 59, 999), 24), 23);
    assert.equal(seasonalBucket(-1, 24), 23);
    assert.equal(seasonalBucket(Date.UTC(2026, 10, 22, 13, 30), 48), 27);
    assert.equal(seasonalBucket(Number.NaN, 24), -1);
  });
});

describe('stateful driver with a seasonal input (shipped anomaly model)', async () => {
  const file = await readModelFile(PERFEATURE_MODEL);
  const session = await createOnnxEngine().load(file.bytes);
  const spec = seasonalSpec(file.card)!;
  const F = 3;

  it('the card names the bucketed input; the state keeps every bucket', () => {
    assert.deepEqual(spec, {
      input: 'season',
      buckets: DEFAULT_PARAMS.seasonBuckets,
      periodMs: 86_400_000,
      updateEveryMs: SEASON_UPDATE_EVERY_MS,
    });
    assert.deepEqual(initialState(file.card, F).season!.dims, [spec.buckets, SSTATE_ROWS, F]);
  });

  it('feeds the bucket of the sample time and writes only that bucket back; an unknown time keeps every bucket', async () => {
    let state = initialState(file.card, F);
    const t0 = Date.UTC(2026, 10, 22, 0, 0);
    let ref = createAnomalyState(F);
    for (let i = 0; i < 300; i++) {
      const ts = t0 + i * 600_000; // every 10 minutes: each hour bucket three times a day
      const x = new Float32Array([10 + Math.sin(i / 7), i % 11 === 0 ? Number.NaN : 50 + (i % 6), 3]);
      const r = await stepStateful(file.card, session, x, state, ts);
      const expected = stepAnomaly(DEFAULT_PARAMS, ref, x, seasonalBucket(ts, spec.buckets));
      assert.ok(Math.abs(r.outputs.score!.data[0]! - expected.score) <= 1e-5, `score at step ${i}`);
      state = r.state;
      ref = expected.state;
    }
    const size = SSTATE_ROWS * F;
    const before = Float32Array.from(state.season!.data);
    const at13 = Date.UTC(2026, 10, 25, 13, 5);
    state = (await stepStateful(file.card, session, new Float32Array([11, 52, 3]), state, at13)).state;
    for (let k = 0; k < spec.buckets; k++) {
      const changed = state.season!.data.subarray(k * size, (k + 1) * size).some((v, i) => v !== before[k * size + i]);
      assert.equal(changed, k === 13, `bucket ${k}`);
    }
    const kept = Float32Array.from(state.season!.data);
    const r = await stepStateful(file.card, session, new Float32Array([11, 52, 3]), state, undefined);
    assert.deepEqual(Array.from(r.state.season!.data), Array.from(kept));
    assert.equal(r.state.fstate!.data.length, FSTATE_ROWS * F);
    assert.deepEqual(
      restoreState(file.card, F, JSON.parse(JSON.stringify(snapshotState(r.state))))!.season!.data,
      r.state.season!.data,
    );
  });

  it('at a 10 s cycle a bucket learns once per 5 minutes (the first sample of each), and still scores every sample', async () => {
    let state = initialState(file.card, 1);
    let ref = createAnomalyState(1);
    const t0 = Date.UTC(2026, 10, 22, 9, 0, 0);
    let updates = 0;
    for (let i = 0; i < 200; i++) {
      const ts = t0 + i * 10_000;
      const x = new Float32Array([20 + Math.sin(i / 5) + (i === 150 ? 30 : 0)]);
      const before = Float32Array.from(state.season!.data);
      const r = await stepStateful(file.card, session, x, state, ts);
      const learns = i % 30 === 0;
      const expected = stepAnomaly(DEFAULT_PARAMS, ref, x, seasonalBucket(ts, spec.buckets), learns);
      assert.ok(Math.abs(r.outputs.score!.data[0]! - expected.score) <= 1e-5, `score at step ${i}`);
      if (r.state.season!.data.some((v, k) => v !== before[k])) updates++;
      assert.deepEqual(Array.from(r.state.season!.data), Array.from(expected.state.s), `seasonal state at step ${i}`);
      state = r.state;
      ref = expected.state;
    }
    assert.equal(updates, 7, 'one update per 5-minute interval: samples 0, 30, ..., 180');
    assert.equal(state.season!.data[9 * SSTATE_ROWS + 2], 7, "the 09:00 bucket's count");
  });

  it('any update interval works with the float32 slot state: 10 s intervals in 2026 learn once per interval', async () => {
    const card = { ...file.card, extra: { ...file.card.extra, seasonal: { ...spec, updateEveryMs: 10_000 } } };
    let state = initialState(card, 1);
    const t0 = Date.UTC(2026, 10, 22, 9, 0, 0);
    for (let i = 0; i < 60; i++)
      state = (await stepStateful(card, session, new Float32Array([20 + (i % 4)]), state, t0 + i * 1000)).state;
    assert.equal(state.season!.data[9 * SSTATE_ROWS + 2], 6, "the 09:00 bucket's count: one per 10 s of the minute");
  });

  it('restores a state saved before the driver kept its seasonal slot (same model version), learnt baseline intact', async () => {
    let state = initialState(file.card, 2);
    for (let i = 0; i < 20; i++)
      state = (
        await stepStateful(
          file.card,
          session,
          new Float32Array([5, 7]),
          state,
          Date.UTC(2026, 10, 22, 9, 0, 0) + i * 600_000,
        )
      ).state;
    const saved = JSON.parse(JSON.stringify(snapshotState(state))) as Record<string, unknown>;
    delete saved[slotKey(spec)];
    const restored = restoreState(file.card, 2, saved as never);
    assert.ok(restored, 'not thrown away');
    assert.deepEqual(Array.from(restored.fstate!.data), Array.from(state.fstate!.data));
    assert.deepEqual(Array.from(restored.season!.data), Array.from(state.season!.data));
    assert.deepEqual(Array.from(restored[slotKey(spec)]!.data), [-1]);
  });

  it('saves tensors as float32 bytes (exact, NaN kept) and still restores a state file of JSON number arrays', async () => {
    let state = initialState(file.card, 2);
    for (let i = 0; i < 20; i++)
      state = (
        await stepStateful(
          file.card,
          session,
          new Float32Array([5 + (i % 3), 7]),
          state,
          Date.UTC(2026, 10, 22, 9, 0, 0) + i * 600_000,
        )
      ).state;
    state.fstate!.data[1] = Number.NaN;
    const saved = JSON.parse(JSON.stringify(snapshotState(state))) as ModelState;
    assert.equal(typeof saved.fstate!.f32, 'string');
    assert.equal(saved.fstate!.data, undefined);
    const restored = restoreState(file.card, 2, saved)!;
    for (const name of Object.keys(state)) assert.deepEqual(restored[name]!.data, state[name]!.data, name);
    // written before: every tensor as { data: number[], dims } (NaN became null in JSON, restored as 0 as it was)
    const legacy = Object.fromEntries(
      Object.entries(state).map(([k, t]) => [k, { data: Array.from(t.data), dims: [...t.dims] }]),
    );
    const fromLegacy = restoreState(file.card, 2, JSON.parse(JSON.stringify(legacy)) as ModelState)!;
    assert.deepEqual(Array.from(fromLegacy.season!.data), Array.from(state.season!.data));
    assert.equal(fromLegacy.fstate!.data[1], 0);
    assert.equal(restoreState(file.card, 2, { ...saved, fstate: { dims: saved.fstate!.dims, f32: 'AAAA' } }), null);
    assert.deepEqual(Array.from(decodeF32(encodeF32([1.5, -2, 1e-40]))!), [1.5, -2, Math.fround(1e-40)]);
  });

  it('refuses a malformed seasonal spec, naming the field', () => {
    const bad = {
      ...file.card,
      extra: { ...file.card.extra, seasonal: { input: 'season', buckets: 0, periodMs: 86_400_000 } },
    };
    assert.throws(
      () => seasonalSpec(bad),
      (e: unknown) => e instanceof ModelError && /extra\.seasonal: buckets /.test(e.message),
    );
    const unknown = {
      ...file.card,
      extra: { ...file.card.extra, seasonal: { input: 'nope', buckets: 24, periodMs: 86_400_000 } },
    };
    assert.throws(() => seasonalSpec(unknown), /extra.seasonal.input 'nope' is not an input of the model/);
  });
});
