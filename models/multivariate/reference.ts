/**
 * anomaly-multi 6: a streaming multivariate anomaly score for a host's whole feature vector. Plain-TypeScript
 * reference, float32 step by step in the operation order of the ONNX graph built in `graph.ts` (sums over a tensor
 * axis accumulate in float64 and round once, as the agent's JS engine does; onnxruntime agrees within 1e-5).
 *
 * Per feature (F features; NaN = missing: its state is kept, it contributes nothing):
 * - robust standardisation: a location m and scale v learnt with winsorized updates (a sample moves them at most
 *   `clip` scales), at rate max(aMin, 1/(n+1)) (a new host averages its first samples, then remembers ~1/aMin
 *   samples); scale s = sqrt(v) + epsRel |m| + epsAbs, so a constant feature has a floor instead of a zero scale.
 *   u = (x - m) / s, clipped to +-zCap; nothing before `warmup` samples of the feature;
 * - daily profile, only where the feature has one (detected, not assumed): K slots of the UTC day hold the usual
 *   offset from the level (the caller keeps all K slots and feeds the sample's: card `extra.seasonal`). The feature
 *   keeps the variance of its residual against the profile beside that against the level; where the profile explains
 *   the feature (residual variance < `ratio` x level variance), its own surprise is measured against the profile;
 * - level shifts (maintenance, a release): a feature more than `zShift` scales off for over `shiftLen` consecutive
 *   samples re-learns its level quickly (its count drops to `nReset`).
 * Across features (how metrics move together): an online principal subspace of the standardised vector. A running
 * covariance C of u (clipped to +-uClip, rate max(aMin, 1/(steps+1))) and K orthonormal basis rows W refined by one
 * power-iteration step per sample, W <- orthonormalise(W + W C) (an empty row takes the current u). The residual
 * e = u - W'W u (W limited to the first floor(warm features / 2) rows, so a host with few features keeps a residual)
 * is what the usual correlations do not explain; per feature it is scaled by its own running RMS (floor
 * `residualFloor`).
 * Mean surprise (many features moving a little together, which neither maximum sees): the mean of |z_j| over warm
 * features, standardised against its own running level and spread (winsorized like a feature, floor `residualFloor`,
 * counted after `warmup` updates), only above its usual level, capped at zCap.
 * Score: s = max_j |e_j| / rms_j + wZ x max_j |z_j| + wM x mean surprise (broken correlation, the most surprising
 * single feature, many moving together), smoothed s_t = s_{t-1} + smooth (s - s_{t-1}), squashed to [0, 1):
 * score = s^2 / (s^2 + z0^2) (0.5 at s = z0). The mean term has no contribution of its own: its share per feature
 * would be proportional to |z_j|, which the contributions already carry.
 * Contributions: each feature's |e_j| / rms_j + wZ |z_j|, as a share (sum 1 when any). Baseline: the usual value.
 * The score is continuous (every sample); alerting on it is a separate state machine (contract/models/alerting.ts).
 */

/** Tunable parameters (scalar initializers of the graph, by name; `components` and `slots` are shapes). */
export interface MvParams {
  /** Slowest learning rate (memory ~1/aMin samples); a young feature learns at 1/(n+1). */
  aMin: number;
  /** Scale floor: relative to the level, and absolute. */
  epsRel: number;
  epsAbs: number;
  /** Winsorization of the location/scale updates, in scales. */
  clip: number;
  /** Cap of a feature's standardised value. */
  zCap: number;
  /** Samples a feature is learnt before it scores. */
  warmup: number;
  /** Clip of the standardised values the covariance learns from. */
  uClip: number;
  /** Floor of a feature's residual variance (in standardised units). */
  residualFloor: number;
  /** Weight of the most surprising single feature beside the residual. */
  wZ: number;
  /** Weight of the mean surprise (the mean |z| over warm features, standardised against its own usual level): many
   * features moving a little together. */
  wM: number;
  /** Rate of the score's exponential smoothing (1 = none). */
  smooth: number;
  /** s at which the score is 0.5. */
  z0: number;
  /** Level-shift re-learning: run length above zShift, and the count it drops to. */
  zShift: number;
  shiftLen: number;
  nReset: number;
  /** Daily profile: learning rate floor, samples a slot needs, variance ratio that makes the profile count. */
  aSeason: number;
  seasonMin: number;
  ratio: number;
  /** Principal components tracked (shape of the basis state). */
  components: number;
  /** Slots of the UTC day (the caller's seasonal buckets). */
  slots: number;
}

/** Chosen on ASD (12 servers, train then test streamed, mean over servers), few and principled: docs/models.md. */
export const MV_PARAMS: MvParams = {
  aMin: 1e-4,
  epsRel: 0.01,
  epsAbs: 0.01,
  clip: 4,
  zCap: 6,
  warmup: 30,
  uClip: 5,
  residualFloor: 0.1,
  wZ: 0.6,
  wM: 1,
  smooth: 0.7,
  z0: 5.5,
  zShift: 4,
  shiftLen: 288,
  nReset: 30,
  aSeason: 0.05,
  seasonMin: 3,
  ratio: 0.8,
  components: 5,
  slots: 96,
};

/** Scalar parameters stored as initializers, in card order. */
export const MV_PARAM_NAMES: readonly (keyof MvParams)[] = [
  'aMin',
  'epsRel',
  'epsAbs',
  'clip',
  'zCap',
  'warmup',
  'uClip',
  'residualFloor',
  'wZ',
  'wM',
  'smooth',
  'z0',
  'zShift',
  'shiftLen',
  'nReset',
  'aSeason',
  'seasonMin',
  'ratio',
];

/** Rows of `fstate` [MV_FROWS, F]: level, scale^2, count, run above zShift, profile-residual var, level-residual var,
 * residual (PCA) var. */
export const MV_FROWS = 7;
/** Width of `gstate` [1, MV_GCOLS]: steps seen, smoothed s, and the mean surprise's count, level and variance. */
export const MV_GCOLS = 5;
/** Rows of one slot of the daily profile `season` [MV_SROWS, F]: offset from the level, count. */
export const MV_SROWS = 2;

/** ONNX input/output names (state S in, S_out out). */
export const MV_IO = {
  inputs: { x: 'x', fstate: 'fstate', gstate: 'gstate', basis: 'basis', cov: 'cov', season: 'season' },
  outputs: {
    score: 'score',
    contributions: 'contributions',
    baseline: 'baseline',
    fstate: 'fstate_out',
    gstate: 'gstate_out',
    basis: 'basis_out',
    cov: 'cov_out',
    season: 'season_out',
  },
} as const;

/** One host's state; `s` holds every slot ([slots, MV_SROWS, F]), the graph sees one at a time. */
export interface MvState {
  f: Float32Array;
  g: Float32Array;
  w: Float32Array;
  c: Float32Array;
  s: Float32Array;
  features: number;
  components: number;
  slots: number;
}

/** One step's outputs and the next state. */
export interface MvStep {
  score: number;
  contributions: Float32Array;
  baseline: Float32Array;
  state: MvState;
}

/** Fresh state (all zeros: count 0 = no history, empty basis rows). */
export function createMvState(features: number, p: Pick<MvParams, 'components' | 'slots'> = MV_PARAMS): MvState {
  return {
    f: new Float32Array(MV_FROWS * features),
    g: new Float32Array(MV_GCOLS),
    w: new Float32Array(p.components * features),
    c: new Float32Array(features * features),
    s: new Float32Array(p.slots * MV_SROWS * features),
    features,
    components: p.components,
    slots: p.slots,
  };
}

/** Squared norm below which a basis row counts as empty, and the share of its norm an orthogonalised row must keep. */
export const EMPTY_ROW = 1e-12;
export const KEEP_SHARE = 0.01;

const f = Math.fround;
const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);

/** Advances one sample `x` (NaN = missing) in daily slot `slot` (-1 = unknown time: the profile is neither used nor
 * learnt); `learnSeason` false uses the slot but leaves it unchanged. Pure: returns a new state. */
export function stepMv(p: MvParams, state: MvState, x: Float32Array, slot = -1, learnSeason = true): MvStep {
  const F = state.features;
  const K = state.components;
  if (x.length !== F) throw new Error(`stepMv: x has ${x.length} features, state has ${F}`);
  if (!Number.isInteger(slot) || slot < -1 || slot >= state.slots)
    throw new Error(`stepMv: slot ${slot}: allowed -1 (unknown time) or 0..${state.slots - 1}`);
  const P: MvParams = { ...p };
  for (const k of MV_PARAM_NAMES) P[k] = f(p[k]);
  const fo = state.f.slice();
  const so = state.s.slice();
  const base = slot >= 0 ? slot * MV_SROWS * F : -1;
  const u = new Float32Array(F);
  const zc = new Float32Array(F);
  const warmMask = new Uint8Array(F);
  const baseline = new Float32Array(F);
  const r = (row: number, j: number) => state.f[row * F + j]!;
  for (let j = 0; j < F; j++) {
    const m = r(0, j),
      v = r(1, j),
      n = r(2, j),
      run = r(3, j),
      es = r(4, j),
      el = r(5, j);
    const S = base >= 0 ? state.s[base + j]! : 0;
    const C = base >= 0 ? state.s[base + F + j]! : 0;
    const xv = x[j]!;
    const valid = !Number.isNaN(xv);
    const xx = valid ? xv : 0;
    const a = Math.max(P.aMin, f(1 / f(n + 1)));
    const floor = f(f(f(Math.abs(m)) * P.epsRel) + P.epsAbs);
    const s = f(f(Math.sqrt(v)) + floor);
    const rl = f(xx - m);
    const zl = f(rl / s);
    const rs = f(rl - S);
    const zs = f(rs / f(f(Math.sqrt(es)) + floor));
    const have = C >= P.seasonMin;
    const seasonal = have && es < f(el * P.ratio);
    const warm = valid && n >= P.warmup;
    warmMask[j] = warm ? 1 : 0;
    zc[j] = warm ? clamp(seasonal ? zs : zl, -P.zCap, P.zCap) : 0;
    u[j] = warm ? clamp(zl, -P.zCap, P.zCap) : 0;
    baseline[j] = seasonal ? f(m + S) : m;
    if (!valid) continue;
    const c = f(P.clip * s);
    const rc = clamp(rl, -c, c);
    const rw = n < P.warmup ? rl : rc;
    const rsc = clamp(rs, -c, c);
    let run1 = warm && Math.abs(zl) > P.zShift ? f(run + 1) : 0;
    const shift = run1 > P.shiftLen;
    const nEff = shift ? Math.min(n, P.nReset) : n;
    if (shift) run1 = 0;
    fo[0 * F + j] = f(m + f(a * rw));
    fo[1 * F + j] = f(v + f(a * f(f(rw * rw) - v)));
    fo[2 * F + j] = f(nEff + 1);
    fo[3 * F + j] = run1;
    fo[4 * F + j] = have ? f(es + f(a * f(f(rsc * rsc) - es))) : es;
    fo[5 * F + j] = have ? f(el + f(a * f(f(rc * rc) - el))) : el;
    if (base >= 0 && learnSeason) {
      const C1 = f(C + 1);
      so[base + j] = f(S + f(Math.max(P.aSeason, f(1 / C1)) * rsc));
      so[base + F + j] = C1;
    }
  }

  // residual against the principal subspace, of rank at most half the warm features (else it explains everything)
  const W = state.w;
  let warmCount = 0;
  for (let j = 0; j < F; j++) warmCount += warmMask[j]!;
  const Wm = new Float32Array(K * F);
  for (let i = 0; i < K; i++) if (2 * (i + 1) <= f(warmCount)) Wm.set(W.subarray(i * F, (i + 1) * F), i * F);
  const y = new Float32Array(K);
  for (let i = 0; i < K; i++) {
    let d = 0;
    for (let j = 0; j < F; j++) d += f(Wm[i * F + j]! * u[j]!);
    y[i] = f(d);
  }
  const ng = state.g[0]!;
  const aC = Math.max(P.aMin, f(1 / f(ng + 1)));
  const q = new Float32Array(F);
  let R = 0;
  let zmax = 0;
  for (let j = 0; j < F; j++) {
    let rec = 0;
    for (let i = 0; i < K; i++) rec += f(y[i]! * Wm[i * F + j]!);
    const e = f(u[j]! - f(rec));
    const ve = r(6, j);
    const e2 = f(e * e);
    q[j] = warmMask[j] ? f(Math.abs(e) / f(Math.sqrt(f(ve + P.residualFloor)))) : 0;
    if (q[j]! > R) R = q[j]!;
    const az = Math.abs(zc[j]!);
    if (az > zmax) zmax = az;
    if (warmMask[j]) fo[6 * F + j] = f(ve + f(aC * f(Math.min(e2, f(P.uClip * P.uClip)) - ve)));
  }
  // mean surprise: the mean |z| over warm features against its own usual level and spread (winsorized like a
  // feature's), counted only after `warmup` updates; only more surprise than usual counts
  let zsum = 0;
  for (let j = 0; j < F; j++) zsum += Math.abs(zc[j]!);
  const mbar = f(f(zsum) / Math.max(f(warmCount), 1));
  const nM = state.g[2]!,
    mM = state.g[3]!,
    vM = state.g[4]!;
  const sM = f(Math.sqrt(f(vM + P.residualFloor)));
  const rM = f(mbar - mM);
  const dev = nM >= P.warmup ? clamp(f(rM / sM), 0, P.zCap) : 0;
  const aM = Math.max(P.aMin, f(1 / f(nM + 1)));
  const cM = f(P.clip * sM);
  const rMw = nM < P.warmup ? rM : clamp(rM, -cM, cM);
  const anyWarm = warmCount > 0;
  const gM = anyWarm ? [f(nM + 1), f(mM + f(aM * rMw)), f(vM + f(aM * f(f(rMw * rMw) - vM)))] : [nM, mM, vM];
  const sraw = f(f(R + f(P.wZ * zmax)) + f(P.wM * dev));
  const hist = state.g[1]!;
  const sm = f(hist + f(P.smooth * f(sraw - hist)));
  const sm2 = f(sm * sm);
  const score = f(sm2 / f(sm2 + f(P.z0 * P.z0)));
  const d = new Float32Array(F);
  let total = 0;
  for (let j = 0; j < F; j++) {
    d[j] = f(q[j]! + f(P.wZ * Math.abs(zc[j]!)));
    total += d[j]!;
  }
  const denom = f(f(total) + f(1e-12));
  const contributions = new Float32Array(F);
  for (let j = 0; j < F; j++) contributions[j] = f(d[j]! / denom);

  // learning: covariance, one power-iteration step of the basis, Gram-Schmidt
  const uc = u.map((v) => clamp(v, -P.uClip, P.uClip));
  const Cin = state.c;
  const Cn = new Float32Array(F * F);
  for (let i = 0; i < F; i++)
    for (let j = 0; j < F; j++) {
      const old = Cin[i * F + j]!;
      Cn[i * F + j] = f(old + f(aC * f(f(uc[i]! * uc[j]!) - old)));
    }
  const Wn = new Float32Array(K * F);
  for (let i = 0; i < K; i++) {
    let nn = 0;
    for (let g = 0; g < F; g++) {
      let acc = 0;
      for (let h = 0; h < F; h++) acc += f(W[i * F + h]! * Cin[g * F + h]!);
      const pv = f(W[i * F + g]! + f(acc));
      Wn[i * F + g] = pv;
      nn += f(pv * pv);
    }
    if (f(nn) < f(EMPTY_ROW)) for (let g = 0; g < F; g++) Wn[i * F + g] = uc[g]!;
  }
  for (let i = 0; i < K; i++) {
    let before = 0;
    for (let g = 0; g < F; g++) before += f(Wn[i * F + g]! * Wn[i * F + g]!);
    before = f(before);
    for (let k = 0; k < i; k++) {
      let dot = 0;
      for (let g = 0; g < F; g++) dot += f(Wn[i * F + g]! * Wn[k * F + g]!);
      dot = f(dot);
      for (let g = 0; g < F; g++) Wn[i * F + g] = f(Wn[i * F + g]! - f(dot * Wn[k * F + g]!));
    }
    let after = 0;
    for (let g = 0; g < F; g++) after += f(Wn[i * F + g]! * Wn[i * F + g]!);
    after = f(after);
    const keep = after > f(before * f(KEEP_SHARE));
    const inv = f(1 / f(Math.sqrt(f(after + f(EMPTY_ROW)))));
    for (let g = 0; g < F; g++) Wn[i * F + g] = keep ? f(Wn[i * F + g]! * inv) : 0;
  }
  return {
    score,
    contributions,
    baseline,
    state: {
      f: fo,
      g: new Float32Array([f(ng + 1), sm, ...gM]),
      w: Wn,
      c: Cn,
      s: so,
      features: F,
      components: K,
      slots: state.slots,
    },
  };
}
