/**
 * Streaming unsupervised anomaly model: plain-TypeScript reference, bit-for-bit the same float32 arithmetic as the
 * ONNX graph built in `graph.ts` (every step is Math.fround-ed in the graph's operation order).
 *
 * Per feature (F features, NaN = missing, masked: state untouched, contributes nothing):
 * - long-run robust baseline: EWMA mean/variance with winsorized updates (outliers move it at most `clip` sigmas),
 *   cumulative averaging while young (rate max(alpha, 1/(n+1))) so a new host learns its own normal fast;
 * - surprise = max(level z-score vs the baseline, step-change vs the usual absolute step) - the step term keeps
 *   daily seasonality and slow drift quiet while catching spikes and breaks in the pattern;
 * - level-shift re-baselining: `shiftSteps` consecutive samples beyond `shiftZ` sigmas re-centre the baseline
 *   (a maintenance window changed the normal level; alert once, then adapt).
 * Across features: r = max surprise; Numenta-style anomaly likelihood: short EWMA of r against r's own long-run
 * mean/variance, L = (short - mean)/sd, score = L+/(L+ + tau) in [0,1). After a score >= `detect`, output is held at
 * 0 for `refractory` samples (spike suppression: one alert per incident). No output for the first `warmup` samples.
 *
 * Usage: `const p = DEFAULT_PARAMS; let s = createAnomalyState(F); const r = stepAnomaly(p, s, x); s = r.state;`
 */

/** Tunable parameters, each shipped as an initializer of the same name in the ONNX graph. */
export interface AnomalyParams {
  alpha: number; alphaStep: number; clip: number; epsRel: number; epsAbs: number; stepWeight: number; surpriseCap: number;
  shiftZ: number; shiftSteps: number; alphaShort: number; alphaLong: number; likelihoodEps: number; tau: number;
  detect: number; refractory: number; warmup: number;
}

/** Parameter order (initializer names; also the order in the model card). */
export const PARAM_NAMES: readonly (keyof AnomalyParams)[] = [
  'alpha', 'alphaStep', 'clip', 'epsRel', 'epsAbs', 'stepWeight', 'surpriseCap', 'shiftZ', 'shiftSteps',
  'alphaShort', 'alphaLong', 'likelihoodEps', 'tau', 'detect', 'refractory', 'warmup',
];

/** Parameters tuned on NAB (see export.ts / bench/nab.ts). */
export const DEFAULT_PARAMS: AnomalyParams = {
  alpha: 0.01472, alphaStep: 0.013, clip: 6.76, epsRel: 0.00087, epsAbs: 1e-6, stepWeight: 0.3125, surpriseCap: 29.9,
  shiftZ: 1.172, shiftSteps: 51, alphaShort: 0.04578, alphaLong: 0.0032, likelihoodEps: 3.635e-5, tau: 3,
  detect: 0.5, refractory: 123, warmup: 128,
};

/** Rows of the per-feature state tensor `fstate` [FSTATE_ROWS, F]. */
export const FSTATE_ROWS = 6; // mean, var, prev, meanAbsStep, shiftCount, count
/** Width of the global state tensor `gstate` [1, GSTATE_COLS]. */
export const GSTATE_COLS = 5; // short r, long mean r, long var r, refractory left, step count

/** ONNX input/output names, so an inference engine can drive the session generically. */
export const ANOMALY_IO = {
  inputs: { x: 'x', fstate: 'fstate', gstate: 'gstate' },
  outputs: { score: 'score', contributions: 'contributions', baseline: 'baseline', fstate: 'fstate_out', gstate: 'gstate_out' },
} as const;

/** Per-host model state (feed each step's output state into the next step). */
export interface AnomalyState { f: Float32Array; g: Float32Array; features: number }

/** One step's result: score in [0,1], each feature's share of the surprise (sums to 1 when any), usual level. */
export interface AnomalyStep { score: number; contributions: Float32Array; baseline: Float32Array; state: AnomalyState }

/** Fresh state for `features` features (all zeros: the graph treats count 0 as "no history"). */
export function createAnomalyState(features: number): AnomalyState {
  return { f: new Float32Array(FSTATE_ROWS * features), g: new Float32Array(GSTATE_COLS), features };
}

const f32 = Math.fround;
const roundedCache = new WeakMap<AnomalyParams, AnomalyParams>();
// Parameters as the graph stores them (float32), computed once per params object.
function rounded(p: AnomalyParams): AnomalyParams {
  let r = roundedCache.get(p);
  if (!r) {
    r = Object.fromEntries(PARAM_NAMES.map((k) => [k, f32(p[k])])) as unknown as AnomalyParams;
    roundedCache.set(p, r);
  }
  return r;
}

/** Advances the model by one sample `x` (length F, NaN = missing). Pure: returns a new state. */
export function stepAnomaly(p: AnomalyParams, state: AnomalyState, x: Float32Array): AnomalyStep {
  const F = state.features;
  if (x.length !== F) throw new Error(`stepAnomaly: x has ${x.length} features, state has ${F}`);
  const s = state.f;
  const o = new Float32Array(s.length);
  const contributions = new Float32Array(F);
  const baseline = new Float32Array(F);
  const P = rounded(p);
  let r = 0;
  const surprise = new Float32Array(F);
  for (let j = 0; j < F; j++) {
    const m = s[j]!, v = s[F + j]!, prev = s[2 * F + j]!, d = s[3 * F + j]!, k = s[4 * F + j]!, n = s[5 * F + j]!;
    const xi = x[j]!;
    const valid = !Number.isNaN(xi);
    const fresh = n < 1;
    const xv = valid ? xi : m;
    const m0 = fresh ? xv : m; // first sample defines the baseline
    const p0 = fresh ? xv : prev;
    const sd = f32(f32(Math.sqrt(v)) + f32(f32(P.epsRel * f32(Math.abs(m0))) + P.epsAbs));
    const dev = f32(xv - m0);
    const z = f32(Math.abs(dev) / sd);
    const step = f32(Math.abs(f32(xv - p0)));
    const dsc = f32(d + f32(f32(P.epsRel * f32(Math.abs(m0))) + P.epsAbs));
    const zs = f32(step / dsc);
    const warm = n >= P.warmup;
    let sf = f32(Math.max(z, f32(zs * P.stepWeight)));
    sf = Math.min(sf, P.surpriseCap);
    sf = valid && warm ? sf : 0;
    surprise[j] = sf;
    if (sf > r) r = sf;
    // baseline update (winsorized once warm; cumulative while young)
    const a = Math.max(P.alpha, f32(1 / f32(n + 1)));
    const lim = warm ? f32(P.clip * sd) : 3.0e38;
    const cdev = Math.min(Math.max(dev, -lim), lim);
    let mN = f32(m0 + f32(a * cdev));
    const vN = f32(f32(1 - a) * f32(v + f32(a * f32(cdev * cdev))));
    const as = Math.max(P.alphaStep, f32(1 / f32(n + 1)));
    const slim = warm ? f32(P.clip * dsc) : 3.0e38;
    const dN = f32(d + f32(as * f32(Math.min(step, slim) - d)));
    let kN = z > P.shiftZ ? f32(k + 1) : 0;
    const shifted = kN >= P.shiftSteps;
    mN = shifted ? xv : mN;
    kN = shifted ? 0 : kN;
    const nN = f32(n + 1);
    o[j] = valid ? mN : m; o[F + j] = valid ? vN : v; o[2 * F + j] = valid ? xv : prev;
    o[3 * F + j] = valid ? dN : d; o[4 * F + j] = valid ? kN : k; o[5 * F + j] = valid ? nN : n;
    baseline[j] = m0;
  }
  let total = 0;
  for (let j = 0; j < F; j++) total = f32(total + surprise[j]!);
  for (let j = 0; j < F; j++) contributions[j] = f32(surprise[j]! / f32(total + 1e-12));
  // anomaly likelihood over r
  const g = state.g;
  const rs = g[0]!, mu = g[1]!, vr = g[2]!, ref = g[3]!, t = g[4]!;
  const rsN = f32(rs + f32(P.alphaShort * f32(r - rs)));
  const L = f32(f32(rsN - mu) / f32(Math.sqrt(f32(vr + P.likelihoodEps))));
  const Lp = Math.max(L, 0);
  let score = f32(Lp / f32(Lp + P.tau));
  const aL = Math.max(P.alphaLong, f32(1 / f32(t + 1)));
  const dr = f32(rsN - mu);
  const muN = f32(mu + f32(aL * dr));
  const vrN = f32(f32(1 - aL) * f32(vr + f32(aL * f32(dr * dr))));
  score = t >= P.warmup ? score : 0;
  const quiet = ref > 0;
  score = quiet ? 0 : score;
  const refN = quiet ? f32(ref - 1) : score >= P.detect ? P.refractory : 0;
  const gN = new Float32Array([rsN, muN, vrN, refN, f32(t + 1)]);
  return { score, contributions, baseline, state: { f: o, g: gN, features: F } };
}
