/**
 * Streaming multivariate anomaly score for a host's whole feature vector: plain-TypeScript reference, float32 step by
 * step in the same operation order as the ONNX graph built in `graph.ts`.
 *
 * Per feature (F features; NaN = missing: state untouched, z = 0):
 * - level baseline: mean and variance learnt by cumulative averaging (rate max(aMin, 1/(n+1))), so a new host learns
 *   its own normal fast and then remembers weeks; z = |x - mean| / (sd + epsRel |mean| + epsAbs);
 * - time-of-day profile, used only where the host has one (detected, not assumed): K slots of the UTC day hold the
 *   feature's usual offset from its level (the caller keeps all K and feeds the sample's slot as `season`, as with
 *   anomaly model 4: card `extra.seasonal`). Once a slot has `seasonMin` samples, the feature keeps the variance of
 *   the residual against the profile beside the variance against the level; when the profile explains enough
 *   (residual variance < `ratio` x level variance) the surprise is measured against the profile;
 * - level shifts (maintenance, a new release): a feature that stays beyond `zShift` for more than `shiftLen`
 *   consecutive samples re-learns its level quickly (its count drops to `nReset`), while its profile of offsets stays.
 * Across features: the mean of the two largest z and `beta` x the norm of the whole z vector (how many metrics moved
 * together), whichever is larger, capped at `aggCap` and averaged with the previous MV_HISTORY values (gstate): one
 * extreme sample moves the score by at most aggCap / 4, below the alert level (0.5 at z0), two in a row reach it.
 * Output score = s^2 / (s^2 + z0^2) in [0, 1) (0.5 at s = z0), per-feature contributions z^2 / sum z^2, and each
 * feature's usual value (level, plus the profile's offset where the profile is used).
 */

/** Tunable parameters (initializers of the graph, by name). */
export interface MvParams {
  aMin: number;
  aSeason: number;
  epsAbs: number;
  epsRel: number;
  seasonMin: number;
  ratio: number;
  warm: number;
  zCap: number;
  aggCap: number;
  zShift: number;
  shiftLen: number;
  nReset: number;
  beta: number;
  z0: number;
  slots: number;
}

/** Parameters chosen by 4-fold cross-validation across the 12 ASD entities (models/multivariate/README in the card). */
export const MV_PARAMS: MvParams = {
  aMin: 0.00005,
  aSeason: 0.03,
  epsAbs: 1e-4,
  epsRel: 0.02,
  seasonMin: 3,
  ratio: 0.9,
  warm: 30,
  zCap: 1000,
  aggCap: 12,
  zShift: 4,
  shiftLen: 288,
  nReset: 30,
  beta: 0.4,
  z0: 3.5,
  slots: 96,
};

/** Number of past aggregated surprises kept for smoothing (the score averages them with the current one). */
export const MV_HISTORY = 3;
/** Rows of the per-feature state `fstate` [MV_FROWS, F]: mean, variance, count, profile-residual variance,
 * level-residual variance (both only once the slot is warm), run of consecutive surprises above zShift. */
export const MV_FROWS = 6;
/** Rows of one slot of the time-of-day state `season` [MV_SROWS, F]: offset from the level, count. */
export const MV_SROWS = 2;

/** ONNX input/output names. */
export const MV_IO = {
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

/** One host's state: `s` holds every slot ([slots, MV_SROWS, F]); the graph sees one slot at a time. */
export interface MvState {
  f: Float32Array;
  g: Float32Array;
  s: Float32Array;
  features: number;
  slots: number;
}

/** One step: score in [0,1), contributions (sum 1 when any surprise), usual values, the next state. */
export interface MvStep {
  score: number;
  contributions: Float32Array;
  baseline: Float32Array;
  state: MvState;
}

/** Fresh state (zeros: count 0 means no history). */
export function createMvState(features: number, slots: number = MV_PARAMS.slots): MvState {
  return {
    f: new Float32Array(MV_FROWS * features),
    g: new Float32Array(MV_HISTORY),
    s: new Float32Array(slots * MV_SROWS * features),
    features,
    slots,
  };
}

const f = Math.fround;

/** Advances one sample `x` (NaN = missing) in time-of-day slot `slot` (-1 = unknown time: the profile is neither
 * used nor learnt); `learnSeason` false uses the slot but leaves it unchanged. Pure: returns a new state. */
export function stepMv(p: MvParams, state: MvState, x: Float32Array, slot = -1, learnSeason = true): MvStep {
  const F = state.features;
  if (x.length !== F) throw new Error(`stepMv: x has ${x.length} features, state has ${F}`);
  if (!Number.isInteger(slot) || slot < -1 || slot >= state.slots) {
    throw new Error(`stepMv: slot ${slot}: allowed -1 (unknown time) or 0..${state.slots - 1}`);
  }
  const fo = state.f.slice();
  const so = state.s.slice();
  const base = slot >= 0 ? slot * MV_SROWS * F : -1;
  const z = new Float32Array(F);
  const baseline = new Float32Array(F);
  const r = (row: number, j: number) => state.f[row * F + j]!;
  for (let j = 0; j < F; j++) {
    const mu = r(0, j),
      va = r(1, j),
      n = r(2, j),
      es = r(3, j),
      el = r(4, j),
      run = r(5, j);
    const S = base >= 0 ? state.s[base + j]! : 0;
    const C = base >= 0 ? state.s[base + F + j]! : 0;
    const xv = x[j]!;
    const valid = !Number.isNaN(xv);
    const xx = valid ? xv : 0;
    const a = Math.max(f(p.aMin), f(1 / f(n + 1)));
    const rl = f(xx - mu);
    const rs = f(rl - S);
    const fl = f(f(f(Math.abs(mu)) * f(p.epsRel)) + f(p.epsAbs));
    const zl = f(f(Math.abs(rl)) / f(f(Math.sqrt(va)) + fl));
    const zs = f(f(Math.abs(rs)) / f(f(Math.sqrt(es)) + fl));
    const have = C >= f(p.seasonMin);
    const seasonal = have && es < f(el * f(p.ratio));
    let zj = seasonal ? zs : zl;
    if (n < f(p.warm) || !valid) zj = 0;
    zj = Math.min(zj, f(p.zCap));
    z[j] = zj;
    baseline[j] = seasonal ? f(mu + S) : mu;
    if (!valid) continue;
    let run1 = zj > f(p.zShift) ? f(run + 1) : 0;
    const shift = run1 > f(p.shiftLen);
    const nEff = shift ? Math.min(n, f(p.nReset)) : n;
    if (shift) run1 = 0;
    fo[0 * F + j] = f(mu + f(a * rl));
    fo[1 * F + j] = f(va + f(a * f(f(rl * rl) - va)));
    fo[2 * F + j] = f(nEff + 1);
    fo[3 * F + j] = have ? f(es + f(a * f(f(rs * rs) - es))) : es;
    fo[4 * F + j] = have ? f(el + f(a * f(f(rl * rl) - el))) : el;
    fo[5 * F + j] = run1;
    if (base >= 0 && learnSeason) {
      const C1 = f(C + 1);
      const as = Math.max(f(p.aSeason), f(1 / C1));
      so[base + j] = f(S + f(as * rs));
      so[base + F + j] = C1;
    }
  }
  let max = 0;
  for (let j = 0; j < F; j++) if (z[j]! > max) max = z[j]!;
  let second = 0;
  let sq = 0;
  for (let j = 0; j < F; j++) {
    const zj = z[j]!;
    if (zj !== max && zj > second) second = zj;
    sq = f(sq + f(zj * zj));
  }
  const top2 = f(f(max + second) * f(0.5));
  const agg = Math.min(Math.max(top2, f(f(Math.sqrt(sq)) * f(p.beta))), f(p.aggCap));
  const g = state.g;
  let sum = agg;
  for (let i = 0; i < MV_HISTORY; i++) sum = f(sum + g[i]!);
  const sm = f(sum * f(1 / (MV_HISTORY + 1)));
  const sm2 = f(sm * sm);
  const score = f(sm2 / f(sm2 + f(f(p.z0) * f(p.z0))));
  const gn = new Float32Array(MV_HISTORY);
  for (let i = 0; i < MV_HISTORY - 1; i++) gn[i] = g[i + 1]!;
  gn[MV_HISTORY - 1] = agg;
  const contributions = new Float32Array(F);
  const denom = f(sq + f(1e-12));
  for (let j = 0; j < F; j++) contributions[j] = f(f(z[j]! * z[j]!) / denom);
  return { score, contributions, baseline, state: { f: fo, g: gn, s: so, features: F, slots: state.slots } };
}
