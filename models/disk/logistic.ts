/**
 * L2-regularized logistic regression fitted by Newton's method (IRLS) on standardized features. K is small (~15),
 * so each step solves a K+1 system exactly; ~10 steps converge. Pure: no I/O.
 */

/** A fitted linear model on raw (unstandardized) features: p = sigmoid(x . weights + bias). */
export interface LinearModel {
  readonly weights: Float64Array;
  readonly bias: number;
}

/** Fit options. Defaults: l2 = 1, positiveWeight = 1, iterations = 25. */
export interface LogisticOptions {
  /** L2 penalty on standardized weights (not on the bias), absolute (sum of sample weights is the scale of the data term). */
  readonly l2?: number;
  /** Weight of each positive row relative to a negative one (class imbalance). */
  readonly positiveWeight?: number;
  readonly iterations?: number;
}

/** Numerically stable logistic function. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/**
 * Fits on the rows `rows` (indices into x, row-major [n, k]) with labels y (0/1 per row index).
 * Features with zero variance on the training rows get weight exactly 0.
 */
export function fitLogistic(
  x: Float32Array,
  k: number,
  y: Uint8Array,
  rows: Int32Array,
  opts: LogisticOptions = {},
): LinearModel {
  const l2 = opts.l2 ?? 1;
  const pw = opts.positiveWeight ?? 1;
  const iters = opts.iterations ?? 25;
  const mean = new Float64Array(k);
  const sd = new Float64Array(k);
  for (const r of rows) for (let j = 0; j < k; j++) mean[j]! += x[r * k + j]!;
  for (let j = 0; j < k; j++) mean[j]! /= rows.length;
  for (const r of rows) for (let j = 0; j < k; j++) sd[j]! += (x[r * k + j]! - mean[j]!) ** 2;
  for (let j = 0; j < k; j++) sd[j] = Math.sqrt(sd[j]! / rows.length);
  const active = [...Array(k).keys()].filter((j) => sd[j]! > 1e-9);
  const m = active.length + 1; // + bias, stored last
  const w = new Float64Array(m);
  const z = new Float64Array(m);
  const grad = new Float64Array(m);
  const hess = new Float64Array(m * m);
  for (let it = 0; it < iters; it++) {
    grad.fill(0);
    hess.fill(0);
    for (const r of rows) {
      z[m - 1] = 1;
      for (let a = 0; a < active.length; a++) {
        const j = active[a]!;
        z[a] = (x[r * k + j]! - mean[j]!) / sd[j]!;
      }
      let s = 0;
      for (let a = 0; a < m; a++) s += w[a]! * z[a]!;
      const p = sigmoid(s);
      const sw = y[r] ? pw : 1;
      const g = sw * (p - (y[r] ? 1 : 0));
      const h = sw * Math.max(p * (1 - p), 1e-12);
      for (let a = 0; a < m; a++) {
        grad[a]! += g * z[a]!;
        const hz = h * z[a]!;
        for (let b = 0; b <= a; b++) hess[a * m + b]! += hz * z[b]!;
      }
    }
    for (let a = 0; a < m; a++) for (let b = 0; b < a; b++) hess[b * m + a] = hess[a * m + b]!;
    for (let a = 0; a < m - 1; a++) {
      grad[a]! += l2 * w[a]!;
      hess[a * m + a]! += l2;
    }
    const step = solve(hess, grad, m);
    let maxStep = 0;
    for (let a = 0; a < m; a++) {
      w[a]! -= step[a]!;
      maxStep = Math.max(maxStep, Math.abs(step[a]!));
    }
    if (maxStep < 1e-8) break;
  }
  // Fold standardization into raw-feature weights so inference is one MatMul + Add.
  const weights = new Float64Array(k);
  let bias = w[m - 1]!;
  active.forEach((j, a) => {
    weights[j] = w[a]! / sd[j]!;
    bias -= (w[a]! * mean[j]!) / sd[j]!;
  });
  return { weights, bias };
}

/** Solves A x = b (A symmetric positive definite, m x m, row-major) by Gaussian elimination with partial pivoting. */
function solve(A: Float64Array, b: Float64Array, m: number): Float64Array {
  const a = Float64Array.from(A);
  const x = Float64Array.from(b);
  for (let c = 0; c < m; c++) {
    let piv = c;
    for (let r = c + 1; r < m; r++) if (Math.abs(a[r * m + c]!) > Math.abs(a[piv * m + c]!)) piv = r;
    if (piv !== c) {
      for (let j = 0; j < m; j++) [a[c * m + j], a[piv * m + j]] = [a[piv * m + j]!, a[c * m + j]!];
      [x[c], x[piv]] = [x[piv]!, x[c]!];
    }
    const d = a[c * m + c]! || 1e-12;
    for (let r = c + 1; r < m; r++) {
      const f = a[r * m + c]! / d;
      if (f === 0) continue;
      for (let j = c; j < m; j++) a[r * m + j]! -= f * a[c * m + j]!;
      x[r]! -= f * x[c]!;
    }
  }
  for (let c = m - 1; c >= 0; c--) {
    let s = x[c]!;
    for (let j = c + 1; j < m; j++) s -= a[c * m + j]! * x[j]!;
    x[c] = s / (a[c * m + c]! || 1e-12);
  }
  return x;
}
