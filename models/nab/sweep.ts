/**
 * NAB scoring core (pure), as NAB v1.1 documents and implements it (numenta/NAB nab/sweeper.py):
 * - every row gets a weighted "sweep score": inside an anomaly window the scaled sigmoid of its relative position
 *   (earliest row = +tpWeight, right edge ~ 0); outside, a false-positive penalty scaled by the distance from the
 *   preceding window's right edge (fpWeight * sigmoid, -fpWeight when no window precedes);
 * - rows in the probationary period (first min(floor(15% of rows), 750)) are ignored;
 * - for a threshold t, detections are rows with score >= t; each window contributes the best (earliest) detection's
 *   TP weight or -fnWeight if undetected; every FP row adds its penalty.
 */

/** Cost matrix of one NAB profile (config/profiles.json). */
export interface CostMatrix {
  tpWeight: number;
  fpWeight: number;
  fnWeight: number;
}

/** The three published NAB profiles. */
export const NAB_PROFILES: Record<'standard' | 'reward_low_FP_rate' | 'reward_low_FN_rate', CostMatrix> = {
  standard: { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 },
  reward_low_FP_rate: { tpWeight: 1, fpWeight: 0.22, fnWeight: 1 },
  reward_low_FN_rate: { tpWeight: 1, fpWeight: 0.11, fnWeight: 2 },
};
export type ProfileName = keyof typeof NAB_PROFILES;

/** Window given as [firstRowIndex, lastRowIndex] (inclusive) within the file. */
export type WindowIdx = readonly [number, number];

/** One scorable row: detector score, weighted sweep score, window id (-1 outside windows). */
export interface SweepRow {
  score: number;
  sweep: number;
  window: number;
}

/** NAB's scaled sigmoid: 2*sigmoid(-5x) - 1, clamped to -1 at x >= 3. */
export function scaledSigmoid(x: number): number {
  if (x >= 3) return -1;
  return 2 / (1 + Math.exp(5 * x)) - 1;
}

/** Probationary rows: min(floor(fraction * n), fraction * 5000). */
export function probationaryLength(n: number, fraction = 0.15): number {
  return Math.min(Math.floor(fraction * n), fraction * 5000);
}

/**
 * Sweep scores for one file's rows (excluding probationary rows). `windowBase` offsets window ids so rows from
 * several files can be pooled. Returns the rows and the number of scorable windows (those with rows after probation).
 */
export function sweepFile(
  scores: ArrayLike<number>,
  windows: readonly WindowIdx[],
  cost: CostMatrix,
  windowBase = 0,
  probationFraction = 0.15,
): { rows: SweepRow[]; windowIds: number[] } {
  const n = scores.length;
  const probation = probationaryLength(n, probationFraction);
  const maxTP = scaledSigmoid(-1);
  const rows: SweepRow[] = [];
  const ids = new Set<number>();
  let w = 0;
  let prevRight = -1;
  let prevWidth = 0;
  for (let i = 0; i < n; i++) {
    const cur = windows[w];
    const inWin = cur !== undefined && i >= cur[0] && i <= cur[1];
    let sweep: number;
    if (inWin) {
      const width = cur[1] - cur[0] + 1;
      sweep = (scaledSigmoid(-(cur[1] - i + 1) / width) * cost.tpWeight) / maxTP;
    } else {
      const pos = prevRight < 0 ? 3 : Math.abs(prevRight - i) / (prevWidth - 1);
      sweep = scaledSigmoid(pos) * cost.fpWeight;
    }
    if (i >= probation) {
      const id = inWin ? windowBase + w : -1;
      if (inWin) ids.add(id);
      rows.push({ score: scores[i]!, sweep, window: id });
    }
    if (inWin && i === cur[1]) {
      prevRight = i;
      prevWidth = cur[1] - cur[0] + 1;
      w++;
    }
  }
  return { rows, windowIds: [...ids] };
}

/** Score at every distinct threshold (descending): detections are rows with score >= threshold. */
export interface ThresholdScore {
  threshold: number;
  score: number;
  tp: number;
  fp: number;
}

/** NAB's threshold sweep over pooled rows; `windowIds` are all scorable windows (each starts at -fnWeight). */
export function scoreByThreshold(
  rows: readonly SweepRow[],
  windowIds: readonly number[],
  cost: CostMatrix,
): ThresholdScore[] {
  const sorted = [...rows].sort((a, b) => b.score - a.score);
  const best = new Map<number, number>();
  for (const id of windowIds) best.set(id, -cost.fnWeight);
  let windowSum = -cost.fnWeight * windowIds.length;
  let fpSum = 0;
  let tp = 0;
  let fp = 0;
  const out: ThresholdScore[] = [];
  let cur = 1.1;
  for (const r of sorted) {
    if (r.score !== cur) {
      out.push({ threshold: cur, score: windowSum + fpSum, tp, fp });
      cur = r.score;
    }
    if (r.window < 0) {
      fp++;
      fpSum += r.sweep;
    } else {
      tp++;
      const prev = best.get(r.window)!;
      if (r.sweep > prev) {
        windowSum += r.sweep - prev;
        best.set(r.window, r.sweep);
      }
    }
  }
  out.push({ threshold: cur, score: windowSum + fpSum, tp, fp });
  return out;
}

/** The score at `threshold` from a sweep (NAB's rule: exact match, else the next higher threshold's row). */
export function scoreAt(sweep: readonly ThresholdScore[], threshold: number): ThresholdScore {
  let prev = sweep[0]!;
  for (const s of sweep) {
    if (s.threshold === threshold) return s;
    if (s.threshold < threshold) return prev;
    prev = s;
  }
  return prev;
}
