import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seasonalBucket } from '../../contract/models/seasonal.ts';
import { DEFAULT_PARAMS, FSTATE_ROWS, createAnomalyState, stepAnomaly } from './reference.ts';
import type { AnomalyState, AnomalyStep } from './reference.ts';

// The agent's default alert threshold; tune.ts calibrates the NAB-optimal threshold to it.
const ALERT = 0.5;

// Sample t is taken at 5-minute intervals (288 a day), as most NAB series.
const at = (t: number) => seasonalBucket(Date.UTC(2024, 0, 1) + t * 300_000, DEFAULT_PARAMS.seasonBuckets);

// Three features with a daily cycle and deterministic noise.
function sample(t: number): Float32Array {
  const noise = (k: number) => Math.sin(t * 12.9898 + k * 78.233) * 0.5;
  return new Float32Array([
    50 + 10 * Math.sin((2 * Math.PI * t) / 288) + noise(1),
    5 + noise(2) * 0.2,
    100 + noise(3) * 3,
  ]);
}

function run(
  n: number,
  state: AnomalyState,
  gen: (t: number) => Float32Array,
  t0 = 0,
): { state: AnomalyState; steps: AnomalyStep[] } {
  const steps: AnomalyStep[] = [];
  for (let t = t0; t < t0 + n; t++) {
    const r = stepAnomaly(DEFAULT_PARAMS, state, gen(t), at(t));
    steps.push(r);
    state = r.state;
  }
  return { state, steps };
}

test('scores stay in [0,1] and a quiet seasonal host raises no alert after warm-up', () => {
  const { steps } = run(2000, createAnomalyState(3), sample);
  for (const s of steps) assert.ok(s.score >= 0 && s.score <= 1);
  assert.ok(Math.max(...steps.slice(500).map((s) => s.score)) < ALERT);
});

test('a spike in one feature is detected and attributed to it, with its usual level as baseline', () => {
  const warm = run(2000, createAnomalyState(3), sample);
  const spiked = (t: number) => {
    const x = sample(t);
    x[1] = 70;
    return x;
  };
  const { steps } = run(40, warm.state, spiked, 2000);
  const hit = steps.find((s) => s.score >= ALERT);
  assert.ok(hit, 'no detection');
  assert.ok(hit.contributions[1]! > 0.9, `contributions ${Array.from(hit.contributions)}`);
  assert.ok(Math.abs(hit.baseline[1]! - 5) < 1, `baseline ${hit.baseline[1]}`); // "14x its usual"
  // refractory: one alert per incident
  assert.equal(steps.filter((s) => s.score >= ALERT).length, 1);
});

test('slow drift (a new record every few samples) stays quiet; a first extreme after a long calm alerts', () => {
  const warm = run(2000, createAnomalyState(3), sample);
  const drifting = (t: number) => {
    const x = sample(t);
    x[2]! += (t - 2000) * 0.05;
    return x;
  };
  const { state, steps } = run(2000, warm.state, drifting, 2000);
  assert.ok(Math.max(...steps.slice(300).map((s) => s.score)) < ALERT, 'alerting on drift');
  const calm = run(
    2000,
    state,
    (t) => {
      const x = sample(t);
      x[2]! += 100;
      return x;
    },
    4000,
  );
  const peak = (t: number) => {
    const x = sample(t);
    x[2]! += 100;
    x[0] = 75;
    return x;
  };
  assert.ok(run(1, calm.state, peak, 6000).steps[0]!.score >= ALERT, 'new extreme not reported');
});

test('missing features (NaN) leave their state untouched and contribute nothing', () => {
  const warm = run(500, createAnomalyState(3), sample);
  const x = sample(500);
  x[2] = NaN;
  const r = stepAnomaly(DEFAULT_PARAMS, warm.state, x);
  for (let row = 0; row < FSTATE_ROWS; row++) assert.equal(r.state.f[row * 3 + 2], warm.state.f[row * 3 + 2]);
  assert.equal(r.contributions[2], 0);
  assert.ok(Number.isFinite(r.score));
  assert.ok(Array.from(r.state.f).every(Number.isFinite));
});

test('a sustained level shift (maintenance) is re-baselined: alerts stop and the baseline moves', () => {
  const warm = run(2000, createAnomalyState(3), sample);
  const shifted = (t: number) => {
    const x = sample(t);
    x[2]! += 40;
    return x;
  };
  const { steps } = run(3000, warm.state, shifted, 2000);
  assert.ok(
    steps.slice(0, 200).some((s) => s.score >= ALERT),
    'shift not detected',
  );
  assert.ok(Math.max(...steps.slice(1500).map((s) => s.score)) < ALERT, 'still alerting after re-baseline');
  assert.ok(Math.abs(steps.at(-1)!.baseline[2]! - 140) < 3);
});

test('rejects a sample whose width differs from the state', () => {
  assert.throws(
    () => stepAnomaly(DEFAULT_PARAMS, createAnomalyState(2), new Float32Array(3)),
    /x has 3 features, state has 2/,
  );
});

test('a broken daily pattern (the daytime plateau missing one day) alerts once the time-of-day baseline knows the day', () => {
  // 20 at night, 80 from 09:00 to 18:00 UTC, small deterministic noise; day 10 stays at the night level.
  const level = (t: number, broken: boolean) => {
    const hour = (t % 288) / 12;
    return new Float32Array([(hour >= 9 && hour < 18 && !broken ? 80 : 20) + Math.sin(t * 12.9898) * 1.5]);
  };
  let state = createAnomalyState(1);
  let normal = 0;
  for (let t = 0; t < 288 * 10; t++) {
    const r = stepAnomaly(DEFAULT_PARAMS, state, level(t, false), at(t));
    state = r.state;
    if (t >= 288 * 3) normal = Math.max(normal, r.score);
  }
  assert.ok(normal < ALERT, `alerting on the normal daily pattern (${normal})`);
  let seasonal = 0;
  let levelOnly = createAnomalyState(1);
  let plain = 0;
  for (let t = 0; t < 288 * 11; t++) {
    const broken = t >= 288 * 10;
    const r0 = stepAnomaly(DEFAULT_PARAMS, levelOnly, level(t, broken)); // no time: level-only model
    levelOnly = r0.state;
    if (!broken) continue;
    const r = stepAnomaly(DEFAULT_PARAMS, state, level(t, true), at(t));
    state = r.state;
    seasonal = Math.max(seasonal, r.score);
    plain = Math.max(plain, r0.score);
  }
  assert.ok(seasonal >= ALERT, `missing plateau not reported (${seasonal})`);
  assert.ok(plain < ALERT, `the level-only model should not see it (${plain})`);
});
