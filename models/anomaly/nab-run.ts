/**
 * Runs the reference anomaly model over NAB files (univariate, one row at a time, state carried forward) and
 * scores the outputs with the NAB scorer. Used by bench/nab.ts, export.ts (card quality) and tuning.
 */
import { scoreCorpus } from '../nab/corpus.ts';
import type { ProfileResult } from '../nab/corpus.ts';
import type { NabFile } from '../nab/dataset.ts';
import type { ProfileName } from '../nab/sweep.ts';
import { seasonalBucket } from '../../contract/models/seasonal.ts';
import { SEASON_UPDATE_EVERY_MS, createAnomalyState, stepAnomaly } from './reference.ts';
import type { AnomalyParams } from './reference.ts';

/** Anomaly scores for one series (timestamps in ms, treated as UTC), stepping the reference model from a fresh state. */
export function scoreSeries(
  params: AnomalyParams,
  values: ArrayLike<number>,
  timestamps: ArrayLike<number>,
): Float32Array {
  let state = createAnomalyState(1, params.seasonBuckets);
  const out = new Float32Array(values.length);
  const x = new Float32Array(1);
  let lastSlot = Number.NaN;
  for (let i = 0; i < values.length; i++) {
    x[0] = values[i]!;
    const slot = Math.floor(timestamps[i]! / SEASON_UPDATE_EVERY_MS); // as the agent's driver: card extra.seasonal.updateEveryMs
    const r = stepAnomaly(params, state, x, seasonalBucket(timestamps[i]!, params.seasonBuckets), slot !== lastSlot);
    lastSlot = slot;
    out[i] = r.score;
    state = r.state;
  }
  return out;
}

/** NAB results of the reference model with `params` over `files`. */
export function nabScores(params: AnomalyParams, files: readonly NabFile[]): Record<ProfileName, ProfileResult> {
  return scoreCorpus(
    files.map((f) => ({ name: f.name, windows: f.windows, scores: scoreSeries(params, f.values, f.timestamps) })),
  );
}
