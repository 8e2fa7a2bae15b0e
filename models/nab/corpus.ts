/**
 * NAB corpus scoring (pure): per profile, pool every file's sweep rows, pick the threshold that maximises the corpus
 * score (NAB's optimizer/sweeper), and normalise between the null detector (every window missed:
 * -fnWeight * windows) and the perfect one (every window detected at its first row: +tpWeight * windows):
 * normalized = 100 * (raw - null) / (perfect - null).
 */
import { NAB_PROFILES, scoreByThreshold, sweepFile } from './sweep.ts';
import type { CostMatrix, ProfileName, SweepRow, WindowIdx } from './sweep.ts';

/** One file's detector output and its windows as row-index ranges. */
export interface ScoredFile {
  name: string;
  scores: ArrayLike<number>;
  windows: readonly WindowIdx[];
}

/** Result for one profile. */
export interface ProfileResult {
  normalized: number;
  raw: number;
  threshold: number;
  nullScore: number;
  perfectScore: number;
  tp: number;
  fp: number;
}

/** Scores a corpus under one cost matrix with the corpus-optimal threshold. */
export function scoreCorpusProfile(files: readonly ScoredFile[], cost: CostMatrix): ProfileResult {
  const rows: SweepRow[] = [];
  const ids: number[] = [];
  let base = 0;
  for (const f of files) {
    const s = sweepFile(f.scores, f.windows, cost, base);
    for (const r of s.rows) rows.push(r);
    ids.push(...s.windowIds);
    base += f.windows.length;
  }
  const sweep = scoreByThreshold(rows, ids, cost);
  let best = sweep[0]!;
  for (const s of sweep) if (s.score > best.score) best = s;
  const nullScore = -cost.fnWeight * ids.length;
  const perfectScore = cost.tpWeight * ids.length;
  return {
    normalized: (100 * (best.score - nullScore)) / (perfectScore - nullScore),
    raw: best.score,
    threshold: best.threshold,
    nullScore,
    perfectScore,
    tp: best.tp,
    fp: best.fp,
  };
}

/** Scores all three NAB profiles. */
export function scoreCorpus(files: readonly ScoredFile[]): Record<ProfileName, ProfileResult> {
  return {
    standard: scoreCorpusProfile(files, NAB_PROFILES.standard),
    reward_low_FP_rate: scoreCorpusProfile(files, NAB_PROFILES.reward_low_FP_rate),
    reward_low_FN_rate: scoreCorpusProfile(files, NAB_PROFILES.reward_low_FN_rate),
  };
}
