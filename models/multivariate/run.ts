/**
 * Runs the reference model over a recorded stream the way the agent's driver does (agent/infer/stateful-model.ts):
 * the daily slot of each row's time, learnt at most once per `updateEveryMs` (the first row of each interval).
 */
import { seasonalBucket, slotOf } from '../../contract/models/seasonal.ts';
import { createMvState, stepMv } from './reference.ts';
import type { MvParams, MvState, MvStep } from './reference.ts';

/** How often a daily slot learns (card `extra.seasonal.updateEveryMs`): rates are per update, so a 10 s agent and a
 * 5-minute recording give the profile the same memory in days. */
export const MV_SEASON_UPDATE_EVERY_MS = 300_000;
/** One day (the profile's period). */
export const DAY_MS = 86_400_000;

/** Steps the reference model over one host's stream the way the agent's driver does: the daily slot of each sample's
 * time (NaN = unknown: no profile), learnt at most once per MV_SEASON_UPDATE_EVERY_MS. `state` is the host's state. */
export function createMvRunner(p: MvParams, features: number) {
  let state: MvState = createMvState(features, p);
  let last = -1;
  return {
    get state(): MvState {
      return state;
    },
    /** One sample at `tsMs`; returns the step (score, contributions, next state). */
    step(x: Float32Array, tsMs: number): MvStep {
      const slot = seasonalBucket(tsMs, p.slots, DAY_MS);
      let learn = false;
      if (slot >= 0) {
        const interval = slotOf(tsMs, MV_SEASON_UPDATE_EVERY_MS);
        learn = interval !== last;
        if (learn) last = interval;
      }
      const r = stepMv(p, state, x, slot, learn);
      state = r.state;
      return r;
    },
  };
}

/** Scores rows sampled every `intervalMs` from `t0Ms` (null = no time: no profile); returns one score per row. */
export function scoreRows(
  p: MvParams,
  rows: readonly Float32Array[],
  t0Ms: number | null = 0,
  intervalMs = 300_000,
): Float32Array {
  const out = new Float32Array(rows.length);
  if (rows.length === 0) return out;
  const runner = createMvRunner(p, rows[0]!.length);
  for (const [i, x] of rows.entries())
    out[i] = runner.step(x, t0Ms === null ? Number.NaN : t0Ms + i * intervalMs).score;
  return out;
}
