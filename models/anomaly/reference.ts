/**
 * Streaming unsupervised anomaly model: plain-TypeScript reference, bit-for-bit the same float32 arithmetic as the
 * ONNX graph built in `graph.ts` (every step is Math.fround-ed in the graph's operation order).
 *
 * Per feature (F features, NaN = missing, masked: state untouched, contributes nothing):
 * - two robust baselines updated as one stacked pair: the level x and the absolute step |x - prev|, each an EWMA
 *   mean/variance with winsorized updates (a sample moves it at most `clip` sigmas) and cumulative averaging while
 *   young (rate max(alpha, 1/(n+1))) so a new host learns its own normal fast. Surprise = max(level z,
 *   stepWeight * step z), capped: the step term keeps daily seasonality and slow drift quiet while catching breaks;
 *   a level shift inflates the winsorized variance, so the baseline re-centres within tens of samples;
 * - record novelty (Numenta's "spatial anomaly"): a value beyond the feature's whole seen range by more than
 *   `spTol` of that range. Graded by the samples since the feature's previous record, gap/(gap + gapTau), so a
 *   drifting metric that sets a record every few samples stays low while a first-in-a-long-time extreme scores ~1.
 * Across features: r = max surprise; anomaly likelihood (Numenta-style): short EWMA of r against r's own long-run
 * mean/variance, L = (short - mean)/sd, likelihood score = L+/(L+ + tau). Score = max(likelihood, record novelty),
 * reported only on a rising edge above a decaying envelope (E <- max(s, E * envDecay)): a sustained incident alerts
 * at its onset instead of on every sample. Nothing is reported for the first `warmup` samples of a feature/host.
 *
 * Usage: `const p = DEFAULT_PARAMS; let s = createAnomalyState(F); const r = stepAnomaly(p, s, x); s = r.state;`
 */

/** Tunable parameters, each shipped as an initializer of the same name in the ONNX graph. */
export interface AnomalyParams {
  alpha: number; alphaStep: number; clip: number; epsRel: number; epsAbs: number; stepWeight: number; surpriseCap: number;
  alphaShort: number; alphaLong: number; likelihoodEps: number; tau: number; warmup: number; spTol: number; gapTau: number;
  envDecay: number;
}

/** Parameter order (initializer names; also the order in the model card). */
export const PARAM_NAMES: readonly (keyof AnomalyParams)[] = [
  'alpha', 'alphaStep', 'clip', 'epsRel', 'epsAbs', 'stepWeight', 'surpriseCap', 'alphaShort', 'alphaLong',
  'likelihoodEps', 'tau', 'warmup', 'spTol', 'gapTau', 'envDecay',
];

/** Parameters fitted once on the NAB corpus by coordinate search (models/anomaly/tune.ts; see the card). */
export const DEFAULT_PARAMS: AnomalyParams = {
  alpha: 0.02875, alphaStep: 0.0078, clip: 21.125, epsRel: 0.000522, epsAbs: 1e-6, stepWeight: 0.15, surpriseCap: 23.92,
  alphaShort: 0.02928, alphaLong: 0.00192, likelihoodEps: 3.635e-5, tau: 9.5, warmup: 128, spTol: 0.00415, gapTau: 5,
  envDecay: 0.995,
};

/** Rows of the per-feature state tensor `fstate` [FSTATE_ROWS, F]. */
export const FSTATE_ROWS = 9; // mean x, mean step, var x, var step, count, prev, lo, -hi, samples since last record
/** Width of the global state tensor `gstate` [1, GSTATE_COLS]. */
export const GSTATE_COLS = 5; // short r, long mean r, long var r, envelope, step count

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
  const surprise = new Float32Array(F);
  const P = rounded(p);
  let r = 0;
  let sp = 0;
  for (let j = 0; j < F; j++) {
    const m = s[j]!, d = s[F + j]!, v = s[2 * F + j]!, vd = s[3 * F + j]!, n = s[4 * F + j]!;
    const prev = s[5 * F + j]!, lo = s[6 * F + j]!, nhi = s[7 * F + j]!, gap = s[8 * F + j]!;
    const xi = x[j]!;
    const valid = !Number.isNaN(xi);
    const xv = valid ? xi : 0;
    const fresh = n < 1;
    const p0 = fresh ? xv : prev;
    const y1 = f32(xv * -1);
    const lo0 = fresh ? xv : lo;
    const nhi0 = fresh ? y1 : nhi;
    const step = f32(Math.abs(f32(xv - p0)));
    // stacked pair j=0 level, j=1 step (graph: Concat + one op per stage)
    const dev0 = f32(xv - m), dev1 = f32(step - d);
    const e = f32(f32(f32(Math.abs(m)) * P.epsRel) + P.epsAbs);
    const sc0 = f32(f32(Math.sqrt(v)) + e), sc1 = f32(f32(Math.sqrt(vd)) + e);
    const z0 = f32(Math.abs(dev0) / sc0), z1 = f32(Math.abs(dev1) / sc1);
    const sfp = Math.max(z0, f32(z1 * P.stepWeight));
    const g = valid && n >= P.warmup;
    const sf = g ? Math.min(sfp, P.surpriseCap) : 0;
    surprise[j] = sf;
    if (sf > r) r = sf;
    // record novelty
    const tolN = f32(f32(lo0 + nhi0) * P.spTol);
    const hit = xv < f32(lo0 + tolN) || y1 < f32(nhi0 + tolN);
    const hg = hit && g;
    const gn = f32(gap + 1);
    const spat = hg ? f32(gn / f32(gn + P.gapTau)) : 0;
    if (spat > sp) sp = spat;
    // updates
    const n1 = f32(n + 1);
    const inv = f32(1 / n1);
    const a0 = Math.max(P.alpha, inv), a1 = Math.max(P.alphaStep, inv);
    const lim0 = f32(sc0 * P.clip), lim1 = f32(sc1 * P.clip);
    const c0 = Math.min(Math.max(dev0, -lim0), lim0), c1 = Math.min(Math.max(dev1, -lim1), lim1);
    const mN = f32(m + f32(a0 * c0)), dN = f32(d + f32(a1 * c1));
    const vN = f32(v + f32(a0 * f32(f32(c0 * c0) - v))), vdN = f32(vd + f32(a1 * f32(f32(c1 * c1) - vd)));
    if (valid) {
      o[j] = mN; o[F + j] = dN; o[2 * F + j] = vN; o[3 * F + j] = vdN; o[4 * F + j] = n1;
      o[5 * F + j] = xv; o[6 * F + j] = Math.min(lo0, xv); o[7 * F + j] = Math.min(nhi0, y1); o[8 * F + j] = hg ? 0 : gn;
    } else {
      for (let row = 0; row < FSTATE_ROWS; row++) o[row * F + j] = s[row * F + j]!;
    }
    baseline[j] = m;
  }
  let total = 0;
  for (let j = 0; j < F; j++) total = f32(total + surprise[j]!);
  const denom = f32(total + 1e-12);
  for (let j = 0; j < F; j++) contributions[j] = f32(surprise[j]! / denom);
  // anomaly likelihood over r, then the rising-edge envelope
  const G = state.g;
  const rs = G[0]!, mu = G[1]!, vr = G[2]!, E = G[3]!, t = G[4]!;
  const rsN = f32(rs + f32(P.alphaShort * f32(r - rs)));
  const dr = f32(rsN - mu);
  const Lp = Math.max(f32(dr / f32(Math.sqrt(f32(vr + P.likelihoodEps)))), 0);
  const raw = f32(Lp / f32(Lp + P.tau));
  const t1 = f32(t + 1);
  const aL = Math.max(P.alphaLong, f32(1 / t1));
  const muN = f32(mu + f32(aL * dr));
  const vrN = f32(vr + f32(aL * f32(f32(dr * dr) - vr)));
  const sc = Math.max(t >= P.warmup ? raw : 0, sp);
  const score = sc > E ? sc : 0;
  const EN = Math.max(sc, f32(E * P.envDecay));
  const gN = new Float32Array([rsN, muN, vrN, EN, t1]);
  return { score, contributions, baseline, state: { f: o, g: gN, features: F } };
}
