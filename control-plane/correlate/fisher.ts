/**
 * Enrichment statistics for root-cause hints: the one-sided hypergeometric (Fisher exact) tail
 * P(X ≥ k) for X ~ Hypergeometric(population N, successes K, draws n), in log10, and the lift
 * (share of affected hosts with a value / share of the fleet with it).
 */

const logFact: number[] = [0];

function lf(n: number): number {
  for (let i = logFact.length; i <= n; i++) logFact.push(logFact[i - 1]! + Math.log(i));
  return logFact[n]!;
}

function logChoose(n: number, k: number): number {
  return k < 0 || k > n ? Number.NEGATIVE_INFINITY : lf(n) - lf(k) - lf(n - k);
}

/** -log10 P(X ≥ k): how surprising it is that k of n affected hosts share a value held by K of N fleet hosts. */
export function enrichmentScore(k: number, n: number, K: number, N: number): number {
  if (k <= 0) return 0;
  N = Math.max(N, n, K);
  const denom = logChoose(N, n);
  const hi = Math.min(n, K);
  if (k > hi) return 0;
  let max = Number.NEGATIVE_INFINITY;
  const terms: number[] = [];
  for (let x = k; x <= hi; x++) {
    const t = logChoose(K, x) + logChoose(N - K, n - x) - denom;
    terms.push(t);
    if (t > max) max = t;
  }
  const logP = max + Math.log(terms.reduce((s, t) => s + Math.exp(t - max), 0));
  return Math.max(0, -logP / Math.LN10);
}

/** Lift: (k/n) / (K/N); 0 when undefined. */
export function lift(k: number, n: number, K: number, N: number): number {
  return n > 0 && K > 0 && N > 0 ? k / n / (K / N) : 0;
}
