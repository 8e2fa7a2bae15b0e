/**
 * Batch baselines for the multivariate benchmark, fitted on an entity's train rows and scoring each test row on its
 * own (as in the ASD SOURCE.md): the largest per-feature |z-score|, and the reconstruction error of a PCA keeping 95 %
 * of the variance of the z-scored train rows. A zero-variance feature gets scale 1 (as scikit-learn's StandardScaler).
 */

/** Per-feature mean and standard deviation of `rows` (NaN ignored; sd 0 -> 1). */
export function standardiser(rows: readonly Float32Array[]): { mean: Float64Array; sd: Float64Array } {
  const F = rows[0]?.length ?? 0;
  const mean = new Float64Array(F);
  const sd = new Float64Array(F);
  const n = new Float64Array(F);
  for (const x of rows) for (let j = 0; j < F; j++) if (!Number.isNaN(x[j]!)) (mean[j]! += x[j]!), n[j]!++;
  for (let j = 0; j < F; j++) mean[j] = n[j]! > 0 ? mean[j]! / n[j]! : 0;
  for (const x of rows) for (let j = 0; j < F; j++) if (!Number.isNaN(x[j]!)) sd[j]! += (x[j]! - mean[j]!) ** 2;
  for (let j = 0; j < F; j++) {
    const s = n[j]! > 0 ? Math.sqrt(sd[j]! / n[j]!) : 0;
    sd[j] = s > 1e-12 ? s : 1;
  }
  return { mean, sd };
}

function zs(x: Float32Array, st: { mean: Float64Array; sd: Float64Array }): Float64Array {
  return Float64Array.from(x, (v, j) => (Number.isNaN(v) ? 0 : (v - st.mean[j]!) / st.sd[j]!));
}

/** Largest |z| over features, fitted on `train`. */
export function zscoreMax(train: readonly Float32Array[], test: readonly Float32Array[]): Float64Array {
  const st = standardiser(train);
  return Float64Array.from(test, (x) => zs(x, st).reduce((m, v) => Math.max(m, Math.abs(v)), 0));
}

/** Eigen-decomposition of a symmetric matrix (cyclic Jacobi): eigenvalues descending with their vectors (rows). */
export function symmetricEigen(a: Float64Array, n: number): { values: number[]; vectors: Float64Array[] } {
  const A = a.slice();
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += A[p * n + q]! ** 2;
    if (off < 1e-20) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (A[q * n + q]! - A[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = A[k * n + p]!;
          const akq = A[k * n + q]!;
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p * n + k]!;
          const aqk = A[q * n + k]!;
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k * n + p]!;
          const vkq = V[k * n + q]!;
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
      }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => A[j * n + j]! - A[i * n + i]!);
  return {
    values: order.map((i) => A[i * n + i]!),
    vectors: order.map((i) => Float64Array.from({ length: n }, (_, k) => V[k * n + i]!)),
  };
}

/** Squared reconstruction error of each test row under a PCA (95 % of the variance) of the z-scored train rows. */
export function pcaReconstruction(
  train: readonly Float32Array[],
  test: readonly Float32Array[],
  keep = 0.95,
): Float64Array {
  const st = standardiser(train);
  const F = train[0]?.length ?? 0;
  const cov = new Float64Array(F * F);
  for (const x of train) {
    const z = zs(x, st);
    for (let i = 0; i < F; i++) for (let j = 0; j < F; j++) cov[i * F + j]! += z[i]! * z[j]!;
  }
  for (let i = 0; i < F * F; i++) cov[i] = cov[i]! / Math.max(1, train.length);
  const { values, vectors } = symmetricEigen(cov, F);
  const total = values.reduce((a, b) => a + Math.max(0, b), 0);
  let k = 0;
  for (let acc = 0; k < F && acc < keep * total; k++) acc += Math.max(0, values[k]!);
  const W = vectors.slice(0, Math.max(1, k));
  return Float64Array.from(test, (x) => {
    const z = zs(x, st);
    const e = z.slice();
    for (const w of W) {
      let y = 0;
      for (let j = 0; j < F; j++) y += w[j]! * z[j]!;
      for (let j = 0; j < F; j++) e[j]! -= y * w[j]!;
    }
    return e.reduce((s, v) => s + v * v, 0);
  });
}
