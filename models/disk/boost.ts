import { NO_SPLIT_THRESHOLD, type TreeEnsemble } from './trees.ts';

/** Boosting options. Defaults: trees 100, learningRate 0.1, l2 1, minChildHessian 1, positiveWeight 1, bins 64. */
export interface BoostOptions {
  readonly trees?: number;
  readonly learningRate?: number;
  /** L2 penalty on leaf values (Newton step denominator). */
  readonly l2?: number;
  /** Minimum sum of hessians in a leaf (guards tiny leaves). */
  readonly minChildHessian?: number;
  /**
   * Weight of positive rows relative to negatives. The trees are fitted to the weighted rows; the returned bias is then
   * lowered by log(positiveWeight) (the prior correction of case weighting), so probabilities stay on the unweighted
   * base rate while the ranking is the weighted fit's.
   */
  readonly positiveWeight?: number;
  /** Candidate thresholds per feature (<= 255). */
  readonly bins?: number;
  /**
   * The first `priorTrees` trees may split only on the `priorFeatures` columns (e.g. the SMART 5 + 197 count, so the
   * ensemble starts from a fitted staircase of the rule and the later trees only correct it). Default 0.
   */
  readonly priorTrees?: number;
  readonly priorFeatures?: readonly number[];
}

/**
 * Candidate split thresholds of one feature: half from quantiles over rows, half from quantiles over the distinct
 * values (so the rare tail, where failing disks live, gets thresholds too). Float32, strictly increasing.
 */
function candidates(values: Float32Array, bins: number): Float32Array {
  const sorted = Float32Array.from(values).sort();
  const distinct: number[] = [];
  for (const v of sorted) if (distinct.length === 0 || v !== distinct[distinct.length - 1]) distinct.push(v);
  if (distinct.length < 2) return new Float32Array(0);
  const picks = new Set<number>(); // index into distinct of the value just above the cut
  const half = bins >> 1;
  if (distinct.length - 1 <= bins) for (let i = 1; i < distinct.length; i++) picks.add(i);
  else {
    for (let q = 1; q <= half; q++) picks.add(Math.max(1, Math.round((q / (half + 1)) * (distinct.length - 1))));
    let di = 0;
    for (let q = 1; q <= half; q++) {
      const v = sorted[Math.floor((q / (half + 1)) * (sorted.length - 1))]!;
      while (di < distinct.length - 1 && distinct[di]! < v) di++;
      picks.add(Math.max(1, di));
    }
  }
  const out = [...picks]
    .sort((a, b) => a - b)
    .map((i) => {
      const lo = distinct[i - 1]!;
      const hi = distinct[i]!;
      const t = Math.fround((lo + hi) / 2);
      return t > lo && t <= hi ? t : hi; // x < t separates lo (left) from hi (right)
    });
  return Float32Array.from(out);
}

/** Binned view: bin(x) = number of thresholds <= x, so x < thr[j] <=> bin(x) <= j. */
function binColumn(x: Float32Array, k: number, j: number, rows: Int32Array, thr: Float32Array, out: Uint8Array): void {
  for (let a = 0; a < rows.length; a++) {
    const v = x[rows[a]! * k + j]!;
    let lo = 0;
    let hi = thr.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (thr[mid]! <= v) lo = mid + 1;
      else hi = mid;
    }
    out[a * k + j] = lo;
  }
}

interface Split {
  gain: number;
  feature: number;
  bin: number; // left = bins <= bin
  gl: number;
  hl: number;
}

/** Fits boosted depth-2 trees with logistic loss on the given rows of x (row-major [n, k]) and labels y. */
export function fitTrees(
  x: Float32Array,
  k: number,
  y: Uint8Array,
  rows: Int32Array,
  opts: BoostOptions = {},
): TreeEnsemble {
  const T = opts.trees ?? 100;
  const lr = opts.learningRate ?? 0.1;
  const l2 = opts.l2 ?? 1;
  const minH = opts.minChildHessian ?? 1;
  const pw = opts.positiveWeight ?? 1;
  const nb = Math.min(opts.bins ?? 64, 255);
  const n = rows.length;
  const col = new Float32Array(n);
  const thr: Float32Array[] = [];
  const bins = new Uint8Array(n * k);
  for (let j = 0; j < k; j++) {
    for (let a = 0; a < n; a++) col[a] = x[rows[a]! * k + j]!;
    thr.push(candidates(col, nb));
    binColumn(x, k, j, rows, thr[j]!, bins);
  }
  const w = new Float64Array(n);
  let pos = 0;
  let tot = 0;
  for (let a = 0; a < n; a++) {
    w[a] = y[rows[a]!] ? pw : 1;
    tot += w[a]!;
    if (y[rows[a]!]) pos += w[a]!;
  }
  const bias = Math.fround(Math.log(Math.max(pos, 1e-9) / Math.max(tot - pos, 1e-9)));
  const score = new Float64Array(n).fill(bias);
  const g = new Float64Array(n);
  const h = new Float64Array(n);
  const side = new Uint8Array(n);
  const out = {
    rootFeature: new Int32Array(T),
    leftFeature: new Int32Array(T),
    rightFeature: new Int32Array(T),
    rootThreshold: new Float32Array(T),
    leftThreshold: new Float32Array(T),
    rightThreshold: new Float32Array(T),
    leaves: new Float32Array(T * 4),
  };
  const hg = new Float64Array(k * 256);
  const hh = new Float64Array(k * 256);
  let allowed: ReadonlySet<number> | undefined;
  const bestSplit = (sel: (a: number) => boolean): Split | undefined => {
    hg.fill(0);
    hh.fill(0);
    let G = 0;
    let H = 0;
    for (let a = 0; a < n; a++) {
      if (!sel(a)) continue;
      const ga = g[a]!;
      const ha = h[a]!;
      G += ga;
      H += ha;
      const base = a * k;
      for (let j = 0; j < k; j++) {
        const b = j * 256 + bins[base + j]!;
        hg[b]! += ga;
        hh[b]! += ha;
      }
    }
    const parent = (G * G) / (H + l2);
    let best: Split | undefined;
    for (let j = 0; j < k; j++) {
      if (allowed && !allowed.has(j)) continue;
      let gl = 0;
      let hl = 0;
      for (let b = 0; b < thr[j]!.length; b++) {
        gl += hg[j * 256 + b]!;
        hl += hh[j * 256 + b]!;
        const gr = G - gl;
        const hr = H - hl;
        if (hl < minH || hr < minH) continue;
        const gain = (gl * gl) / (hl + l2) + (gr * gr) / (hr + l2) - parent;
        if (gain > 1e-9 && (!best || gain > best.gain)) best = { gain, feature: j, bin: b, gl, hl };
      }
    }
    return best;
  };
  let built = 0;
  const prior = new Set(opts.priorFeatures ?? []);
  for (let t = 0; t < T; t++) {
    allowed = t < (opts.priorTrees ?? 0) && prior.size > 0 ? prior : undefined;
    for (let a = 0; a < n; a++) {
      const s = score[a]!;
      const p = s >= 0 ? 1 / (1 + Math.exp(-s)) : Math.exp(s) / (1 + Math.exp(s));
      g[a] = w[a]! * (p - (y[rows[a]!] ? 1 : 0));
      h[a] = w[a]! * Math.max(p * (1 - p), 1e-12);
    }
    const root = bestSplit(() => true);
    if (!root) break;
    built = t + 1;
    out.rootFeature[t] = root.feature;
    out.rootThreshold[t] = thr[root.feature]![root.bin]!;
    for (let a = 0; a < n; a++) side[a] = bins[a * k + root.feature]! <= root.bin ? 0 : 2;
    for (const s of [0, 2]) {
      const child = bestSplit((a) => side[a] === s);
      const fArr = s === 0 ? out.leftFeature : out.rightFeature;
      const tArr = s === 0 ? out.leftThreshold : out.rightThreshold;
      fArr[t] = child ? child.feature : 0;
      tArr[t] = child ? thr[child.feature]![child.bin]! : NO_SPLIT_THRESHOLD;
      const G = [0, 0];
      const H = [0, 0];
      for (let a = 0; a < n; a++) {
        if (side[a] !== s) continue;
        const q = child && bins[a * k + child.feature]! > child.bin ? 1 : 0;
        G[q]! += g[a]!;
        H[q]! += h[a]!;
      }
      for (const q of [0, 1]) out.leaves[t * 4 + s + q] = Math.fround((-lr * G[q]!) / (H[q]! + l2));
      for (let a = 0; a < n; a++) {
        if (side[a] !== s) continue;
        const q = child && bins[a * k + child.feature]! > child.bin ? 1 : 0;
        score[a]! += out.leaves[t * 4 + s + q]!;
      }
    }
  }
  return {
    featureCount: k,
    bias: pw === 1 ? bias : Math.fround(bias - Math.log(pw)),
    rootFeature: out.rootFeature.slice(0, built),
    leftFeature: out.leftFeature.slice(0, built),
    rightFeature: out.rightFeature.slice(0, built),
    rootThreshold: out.rootThreshold.slice(0, built),
    leftThreshold: out.leftThreshold.slice(0, built),
    rightThreshold: out.rightThreshold.slice(0, built),
    leaves: out.leaves.slice(0, built * 4),
  };
}
