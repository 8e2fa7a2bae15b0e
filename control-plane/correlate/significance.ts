/**
 * Is an attribute value a cause? The failure rate among fleet hosts with the value is compared with the rate among
 * hosts without it (a 2×2 table: k of the K holders are symptomatic, n − k of the N − K others):
 * - significance: the one-sided Fisher exact test of that table (the hypergeometric tail, fisher.ts), so the fleet size
 *   counts: 5 of 5 symptomatic hosts on a value a third of 1,600 hosts hold is p ≈ 0.004, 300 of 300 is p ≈ 1e-143;
 * - multiple testing: the family is every (key, value) pair of the fleet (which value gets tested depends on which
 *   hosts report); Tarone's correction for discrete tests (Bonferroni over only the pairs whose best possible p-value
 *   could pass, cause-search.ts) keeps pairs that can never pass (a value the whole fleet holds) from diluting it;
 * - effect size: the risk ratio (rate with / rate without, 0.5 added to the "without" count so it stays finite) must
 *   reach a floor, so a significant but slight excess on a common value (a datacenter hosting a rack fault) is not a
 *   cause on its own.
 * Unlike the lift (share among affected / share in the fleet, capped at 1 / fleet share), neither measure is bounded
 * by how common the value is: a kernel on 40 % of the fleet can be named.
 */
import { enrichmentScore } from './fisher.ts';

/** The test of one value: k of n symptomatic hosts hold it, K of N fleet hosts do. */
export interface ValueTest {
  k: number;
  n: number;
  K: number;
  N: number;
  /** −log10 one-sided Fisher p. */
  score: number;
  /** Failure rate among holders (k / K) and among the others ((n − k) / (N − K)). */
  rateWith: number;
  rateWithout: number;
  /** rateWith / rateWithout, with 0.5 added to the "without" failures (finite when none fail there). */
  riskRatio: number;
  /** rateWith − rateWithout: the share of holders the value's cause explains. */
  excessRate: number;
}

/** Tests one value (counts are clamped so K ≥ k, N ≥ max(n, K)). */
export function testValue(k: number, n: number, K: number, N: number): ValueTest {
  K = Math.max(K, k);
  N = Math.max(N, n, K);
  const rateWith = K > 0 ? k / K : 0;
  const rest = N - K;
  const rateWithout = rest > 0 ? (n - k) / rest : 0;
  const riskRatio = K > 0 ? rateWith / ((n - k + 0.5) / (rest + 0.5)) : 0;
  return {
    k,
    n,
    K,
    N,
    score: enrichmentScore(k, n, K, N),
    rateWith,
    rateWithout,
    riskRatio,
    excessRate: rateWith - rateWithout,
  };
}

/** −log10 of the smallest p-value a value held by K of N hosts can reach with n symptomatic hosts (all of them
 * holders, or all holders symptomatic). */
export function bestPossibleScore(n: number, K: number, N: number): number {
  const k = Math.min(n, K);
  return k > 0 && K < Math.max(N, n) ? enrichmentScore(k, n, K, N) : 0;
}

/**
 * Tarone's correction: the smallest m such that at most m of the tests could reach `minScore + log10(m)`; returns
 * log10(m), the amount each test's score must exceed `minScore` by (0 when at most one test is testable).
 */
export function taroneCorrection(bestScores: readonly number[], minScore: number): number {
  const sorted = [...bestScores].sort((a, b) => b - a);
  for (let m = 1; m <= sorted.length; m++) {
    const bar = minScore + Math.log10(m);
    let testable = 0;
    while (testable < sorted.length && sorted[testable]! >= bar) testable++;
    if (testable <= m) return Math.log10(m);
  }
  return Math.log10(Math.max(1, sorted.length));
}

/** Thresholds a value must pass to be named a cause. */
export interface CauseThresholds {
  minHosts: number;
  minScore: number;
  minRiskRatio: number;
}

/** Whether a tested value passes, given the multiple-testing correction (log10 m). */
export function isCause(t: ValueTest, correction: number, th: CauseThresholds): boolean {
  return t.k >= th.minHosts && t.score >= th.minScore + correction && t.riskRatio >= th.minRiskRatio;
}
