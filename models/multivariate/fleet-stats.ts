/**
 * Bounded-memory statistics for fleet refits: fixed-bin histograms (quantiles of millions of values in a few kB).
 */

/** A histogram of non-negative values on log-spaced bins from `lo` to `hi` (values outside land in the end bins). */
export function createLogHistogram(lo = 1e-3, hi = 1e3, bins = 3000) {
  const counts = new Float64Array(bins);
  const step = Math.log(hi / lo) / bins;
  let n = 0;
  let max = 0;
  return {
    add(v: number): void {
      if (!Number.isFinite(v)) return;
      const i = v <= lo ? 0 : Math.min(bins - 1, Math.floor(Math.log(v / lo) / step));
      counts[i]!++;
      n++;
      if (v > max) max = v;
    },
    get count(): number {
      return n;
    },
    /** The value below which a share `q` of the values lie (the upper edge of its bin, at most the largest value). */
    quantile(q: number): number {
      if (n === 0) return Number.NaN;
      const want = q * n;
      let acc = 0;
      for (let i = 0; i < bins; i++) {
        acc += counts[i]!;
        if (acc >= want) return Math.min(max, lo * Math.exp((i + 1) * step));
      }
      return max;
    },
  };
}
export type LogHistogram = ReturnType<typeof createLogHistogram>;

/** A histogram of scores in [0, 1] (1000 bins) that also counts values at or above `alertAt`. */
export function createScoreHistogram(alertAt: number, bins = 1000) {
  const counts = new Float64Array(bins);
  let n = 0;
  let above = 0;
  let max = 0;
  let sum = 0;
  return {
    add(v: number): void {
      const x = Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0;
      counts[Math.min(bins - 1, Math.floor(x * bins))]!++;
      n++;
      sum += x;
      if (x >= alertAt) above++;
      if (x > max) max = x;
    },
    get count(): number {
      return n;
    },
    summary(): { p50: number; p90: number; p99: number; p999: number; max: number; mean: number; alertRate: number } {
      const q = (share: number) => {
        if (n === 0) return 0;
        let acc = 0;
        for (let i = 0; i < bins; i++) {
          acc += counts[i]!;
          if (acc >= share * n) return Math.min(max, (i + 1) / bins);
        }
        return max;
      };
      return {
        p50: q(0.5),
        p90: q(0.9),
        p99: q(0.99),
        p999: q(0.999),
        max,
        mean: n ? sum / n : 0,
        alertRate: n ? above / n : 0,
      };
    },
  };
}
