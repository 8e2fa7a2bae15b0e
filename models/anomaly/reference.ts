/**
 * Streaming unsupervised anomaly model: plain-TypeScript reference, bit-for-bit the same float32 arithmetic as the
 * ONNX graph built in `graph.ts` (every step is Math.fround-ed in the graph's operation order).
 *
 * Per feature (F features, NaN = missing, masked: state untouched, contributes nothing):
 * - robust level baseline: EWMA mean/variance with winsorized updates (a sample moves it at most `clip` sigmas) and
 *   cumulative averaging while young (rate max(alpha, 1/(n+1))) so a new host learns its own normal fast; surprise
 *   z = |x - mean| / sd, capped. A level shift inflates the winsorized variance, so the baseline re-centres within
 *   tens of samples; daily seasonality and slow drift stay inside the learnt spread;
 * - anomaly likelihood (Numenta-style): a short EWMA of z against that EWMA's own long-run mean/variance,
 *   L = (short - mean)/(sd + sqrt(likelihoodEps)), likelihood score = L+/(L+ + tau). It runs as the second row of the
 *   same stacked EWMA update as the level (one op per stage for both) and sees z up to the previous sample;
 * - record novelty (Numenta's "spatial anomaly"): a value beyond the feature's whole seen range by more than
 *   `spTol` of that range. Graded by how rare records have been and by how far beyond the range the value is:
 *   1/(1 + rho/(1 + excess/range)), rho = recordGain * EWMA (rate `recordRate`) of "this sample was a record". A
 *   drifting metric that keeps setting records by small margins (more often than about every recordGain samples)
 *   stays below 0.5; a first extreme after a long calm, or a value far outside everything seen, scores near 1.
 * - seasonal baseline (time of day): K buckets of the UTC day; per feature and bucket an EWMA level D and
 *   mean absolute deviation W (rate max(seasonRate, 1/(count+1)), so a bucket first averages its samples). Once the
 *   bucket has `seasonWarmup` samples the surprise fed to the likelihood is |x - D| / (W + epsAbs) instead of the level
 *   z: a daily pattern stops being surprising and a broken one (the evening peak missing) becomes surprising. The graph
 *   takes only the current bucket's rows (input `season` [3, F]); the caller keeps all K and feeds the one of the
 *   sample's time (agent/infer/stateful-model.ts, card `extra.seasonal`). With no time, zeros are fed and the output
 *   dropped: the model is exactly the level-only model;
 * Score = max over features of max(likelihood, record novelty) = b, reported only on a rising edge above a decaying
 * envelope E (score = b if b > E else 0); the envelope then becomes E <- max(b > E ? b + fireBoost : b, E * envDecay):
 * a reported edge lifts E by `fireBoost` (a refractory period of about ln((b + fireBoost) / b) / -ln(envDecay)
 * samples), so a slowly ramping likelihood reports once instead of on every small step, and a sustained incident
 * alerts at its onset instead of on every sample (on NAB most false positives were such ramps on the Twitter series).
 * A feature reports nothing for its first `warmup` samples, its likelihood nothing before `likelihoodWarmup`.
 *
 * Usage: `let s = createAnomalyState(F); const r = stepAnomaly(DEFAULT_PARAMS, s, x, seasonalBucket(ts, 24)); s = r.state;`
 * (`seasonalBucket`: agent/infer/stateful-model.ts).
 */

/** Tunable parameters, shipped as initializers of the ONNX graph (scalars by name; paired/derived ones: graph.ts). */
export interface AnomalyParams {
  alpha: number;
  clip: number;
  epsRel: number;
  epsAbs: number;
  surpriseCap: number;
  alphaShort: number;
  alphaLong: number;
  likelihoodEps: number;
  tau: number;
  warmup: number;
  likelihoodWarmup: number;
  spTol: number;
  recordRate: number;
  recordGain: number;
  envDecay: number;
  seasonBuckets: number;
  seasonRate: number;
  seasonWarmup: number;
  /** Envelope lift on a reported alert: E <- max(score + fireBoost, E * envDecay) (refractory after an alert). */
  fireBoost: number;
}

/** Parameter order (initializer names; also the order in the model card). */
export const PARAM_NAMES: readonly (keyof AnomalyParams)[] = [
  'alpha',
  'clip',
  'epsRel',
  'epsAbs',
  'surpriseCap',
  'alphaShort',
  'alphaLong',
  'likelihoodEps',
  'tau',
  'warmup',
  'likelihoodWarmup',
  'spTol',
  'recordRate',
  'recordGain',
  'envDecay',
  'seasonBuckets',
  'seasonRate',
  'seasonWarmup',
  'fireBoost',
];

/** Parameters fitted once on the NAB corpus by coordinate search (models/anomaly/tune.ts; see the card). */
export const DEFAULT_PARAMS: AnomalyParams = {
  alpha: 0.02875,
  clip: 21.125,
  epsRel: 0.00261,
  epsAbs: 1e-6,
  surpriseCap: 19.136,
  alphaShort: 0.02928,
  alphaLong: 0.00192,
  likelihoodEps: 2.79168e-5,
  tau: 2.91942,
  warmup: 128,
  likelihoodWarmup: 256,
  spTol: 0.00664,
  recordRate: 0.00225,
  recordGain: 29.874,
  envDecay: 0.99,
  seasonBuckets: 24,
  seasonRate: 0.009375,
  seasonWarmup: 12,
  fireBoost: 0.2,
};

/** A seasonal bucket learns at most once per this interval (the first sample of each): the seasonal rates are per
 * update, fitted on NAB's mostly 5-minute series, so an agent sampling every 10 s gets the same memory in days. */
export const SEASON_UPDATE_EVERY_MS = 300_000;

/** Rows of one bucket of the seasonal state (`season` [SSTATE_ROWS, F]): level, mean abs deviation, count. */
export const SSTATE_ROWS = 3;

/** Rows of the per-feature state tensor `fstate` [FSTATE_ROWS, F]. */
export const FSTATE_ROWS = 9; // mean x, long mean of short z, var x, long var of short z, short z, count, lo, -hi, record rate
/** Width of the global state tensor `gstate` [1, GSTATE_COLS]. */
export const GSTATE_COLS = 1; // envelope

/** ONNX input/output names, so an inference engine can drive the session generically. */
export const ANOMALY_IO = {
  inputs: { x: 'x', fstate: 'fstate', gstate: 'gstate', season: 'season' },
  outputs: {
    score: 'score',
    contributions: 'contributions',
    baseline: 'baseline',
    fstate: 'fstate_out',
    gstate: 'gstate_out',
    season: 'season_out',
  },
} as const;

/** Per-host model state (feed each step's output state into the next step); `s` is [buckets, SSTATE_ROWS, F], all
 * buckets (the graph sees one at a time). */
export interface AnomalyState {
  f: Float32Array;
  g: Float32Array;
  s: Float32Array;
  features: number;
  buckets: number;
}

/** One step's result: score in [0,1], each feature's share of the surprise (sums to 1 when any), usual level. */
export interface AnomalyStep {
  score: number;
  contributions: Float32Array;
  baseline: Float32Array;
  state: AnomalyState;
}

/** Fresh state for `features` features and `buckets` seasonal buckets (default DEFAULT_PARAMS.seasonBuckets); all
 * zeros: the graph treats count 0 as "no history". */
export function createAnomalyState(features: number, buckets: number = DEFAULT_PARAMS.seasonBuckets): AnomalyState {
  return {
    f: new Float32Array(FSTATE_ROWS * features),
    g: new Float32Array(GSTATE_COLS),
    s: new Float32Array(buckets * SSTATE_ROWS * features),
    features,
    buckets,
  };
}

const f32 = Math.fround;
const roundedCache = new WeakMap<AnomalyParams, AnomalyParams>();
// Parameters as the graph stores them (float32), computed once per params object.
function rounded(p: AnomalyParams): AnomalyParams {
  let r = roundedCache.get(p);
  if (!r) {
    const q: AnomalyParams = { ...p };
    for (const k of PARAM_NAMES) q[k] = f32(p[k]);
    roundedCache.set(p, q);
    r = q;
  }
  return r;
}

/** Constants the graph derives from the parameters (stored as initializers of these names). */
export function derivedConstants(p: AnomalyParams): {
  recordKeep: number;
  recordStep: number;
  likelihoodFloor: number;
} {
  return {
    recordKeep: f32(1 - p.recordRate),
    recordStep: f32(p.recordRate * p.recordGain),
    likelihoodFloor: f32(Math.sqrt(p.likelihoodEps)),
  };
}

/** Winsorization limit (in sigmas) of the likelihood row: effectively none. */
export const NO_CLIP = Math.fround(3.0e38);

/** Advances the model by one sample `x` (length F, NaN = missing) in seasonal bucket `bucket` (0..K-1, the sample's
 * time of day: `seasonalBucket`; omitted or -1 = unknown time: the seasonal baseline is neither used nor updated).
 * `learnSeason` false uses the bucket but keeps it unchanged (the driver's `updateEveryMs`: at most one seasonal update
 * per 5 minutes; see `SEASON_UPDATE_EVERY_MS`). Pure: returns a new state. */
export function stepAnomaly(
  p: AnomalyParams,
  state: AnomalyState,
  x: Float32Array,
  bucket = -1,
  learnSeason = true,
): AnomalyStep {
  const F = state.features;
  if (x.length !== F) throw new Error(`stepAnomaly: x has ${x.length} features, state has ${F}`);
  if (state.buckets !== p.seasonBuckets)
    throw new Error(
      `stepAnomaly: state has ${state.buckets} seasonal buckets, params.seasonBuckets is ${p.seasonBuckets}`,
    );
  if (!Number.isInteger(bucket) || bucket < -1 || bucket >= state.buckets)
    throw new Error(`stepAnomaly: bucket ${bucket}: allowed -1 (unknown time) or 0..${state.buckets - 1}`);
  const so = state.s.slice();
  const s = state.f;
  const o = new Float32Array(s.length);
  const contributions = new Float32Array(F);
  const baseline = new Float32Array(F);
  const surprise = new Float32Array(F);
  const P = rounded(p);
  const K = derivedConstants(p);
  let best = 0;
  for (let j = 0; j < F; j++) {
    const m = s[j]!,
      mu = s[F + j]!,
      v = s[2 * F + j]!,
      vr = s[3 * F + j]!,
      rs = s[4 * F + j]!,
      n = s[5 * F + j]!;
    const lo = s[6 * F + j]!,
      nhi = s[7 * F + j]!,
      rho = s[8 * F + j]!;
    const xi = x[j]!;
    const valid = !Number.isNaN(xi);
    const xv = valid ? xi : 0;
    const fresh = n < 1;
    const y1 = f32(xv * -1);
    const lo0 = fresh ? xv : lo;
    const nhi0 = fresh ? y1 : nhi;
    // stacked rows: 0 = level (x vs m, v), 1 = likelihood (short z rs vs mu, vr); graph: one op per stage
    const dev0 = f32(xv - m),
      dev1 = f32(rs - mu);
    const am = f32(Math.abs(m));
    const e0 = f32(f32(am * P.epsRel) + P.epsAbs),
      e1 = f32(f32(am * 0) + K.likelihoodFloor);
    const sc0 = f32(f32(Math.sqrt(v)) + e0),
      sc1 = f32(f32(Math.sqrt(vr)) + e1);
    const zs0 = f32(dev0 / sc0),
      zs1 = f32(dev1 / sc1);
    const z0 = Math.abs(zs0),
      z1 = Math.abs(zs1);
    // seasonal baseline of this time-of-day bucket (zeros when no bucket matches)
    const at = bucket * SSTATE_ROWS * F + j;
    const Db = bucket >= 0 ? state.s[at]! : 0,
      Wb = bucket >= 0 ? state.s[at + F]! : 0,
      Cb = bucket >= 0 ? state.s[at + 2 * F]! : 0;
    const r = f32(xv - Db);
    const ar = Math.abs(r);
    const zsea = f32(ar / f32(Wb + P.epsAbs));
    const zc = Cb < P.seasonWarmup ? z0 : zsea;
    const gate = valid && n >= P.warmup;
    const sf = gate ? Math.min(zc, P.surpriseCap) : 0;
    surprise[j] = sf;
    const rsN = f32(rs + f32(P.alphaShort * f32(sf - rs)));
    const Lp = Math.max(zs1, 0);
    const raw = f32(Lp / f32(Lp + P.tau));
    const rawG = valid && n >= P.likelihoodWarmup ? raw : 0;
    // record novelty: beyond [lo, hi] by more than spTol of the range, graded by the record rate and the excess
    const sumLH = f32(lo0 + nhi0);
    const exceed = Math.max(f32(lo0 - xv), f32(nhi0 - y1));
    const range = f32(P.epsAbs - sumLH);
    const hit = exceed > f32(range * P.spTol);
    const ex1 = f32(f32(exceed / range) + 1);
    const spat = hit && gate ? f32(ex1 / f32(ex1 + rho)) : 0;
    const rhoN = f32(f32(rho * K.recordKeep) + (hit ? K.recordStep : 0));
    const sj = Math.max(rawG, spat);
    if (sj > best) best = sj;
    // winsorized EWMA mean/variance of both rows
    const n1 = f32(n + 1);
    const inv = f32(1 / n1);
    const a0 = Math.max(P.alpha, inv),
      a1 = Math.max(P.alphaLong, inv);
    const c0 = f32(dev0 * Math.min(f32(P.clip / z0), 1)),
      c1 = f32(dev1 * Math.min(f32(NO_CLIP / z1), 1));
    const mN = f32(m + f32(a0 * c0)),
      muN = f32(mu + f32(a1 * c1));
    const vN = f32(v + f32(a0 * f32(f32(c0 * c0) - v))),
      vrN = f32(vr + f32(a1 * f32(f32(c1 * c1) - vr)));
    const Cn = f32(Cb + 1);
    const sr = Math.max(P.seasonRate, f32(1 / Cn));
    if (valid && bucket >= 0 && learnSeason) {
      so[at] = f32(Db + f32(sr * r));
      so[at + F] = f32(Wb + f32(sr * f32(ar - Wb)));
      so[at + 2 * F] = Cn;
    }
    if (valid) {
      o[j] = mN;
      o[F + j] = muN;
      o[2 * F + j] = vN;
      o[3 * F + j] = vrN;
      o[4 * F + j] = rsN;
      o[5 * F + j] = n1;
      o[6 * F + j] = Math.min(lo0, xv);
      o[7 * F + j] = Math.min(nhi0, y1);
      o[8 * F + j] = rhoN;
    } else {
      for (let row = 0; row < FSTATE_ROWS; row++) o[row * F + j] = s[row * F + j]!;
    }
    baseline[j] = m;
  }
  let total = 0;
  for (let j = 0; j < F; j++) total = f32(total + surprise[j]!);
  const denom = f32(total + 1e-12);
  for (let j = 0; j < F; j++) contributions[j] = f32(surprise[j]! / denom);
  // rising-edge envelope
  const E = state.g[0]!;
  const fire = best > E;
  const score = fire ? best : 0;
  const EN = Math.max(fire ? f32(best + P.fireBoost) : best, f32(E * P.envDecay));
  return {
    score,
    contributions,
    baseline,
    state: { f: o, g: new Float32Array([EN]), s: so, features: F, buckets: state.buckets },
  };
}
