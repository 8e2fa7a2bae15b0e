/**
 * What a model canary's samples say, for the canary-versus-baseline comparison: the anomaly model's score (mean and
 * p95 over the soak) and its per-cycle latency (p95). Pure, from the `scores` of the group's samples; agents without
 * the anomaly model send no score and count in neither. The canary's side counts only what the new version scored,
 * after each host's first cycles on it (onModel).
 */
import type { ScoredSample } from '../store/ports.ts';

/** Anomaly score figures of one group of hosts over a window. */
export interface AnomalyScoreFigures {
  /** Mean anomaly score (0..1) of the samples. */
  mean: number;
  /** 95th percentile (nearest rank) of the samples' scores. */
  p95: number;
  /** Samples with a score. */
  samples: number;
}

/** Figures of one group's samples: anomaly score mean/p95 and the anomaly model's latency p95 in ms (null: none). */
export interface ScoreFigures {
  anomalyScore: AnomalyScoreFigures | null;
  latencyP95Ms: number | null;
}

/** `scores.anomaly[key]` of a sample when it is a number. */
function anomalyNumber(scores: Record<string, unknown>, key: 'score' | 'latencyUs'): number | null {
  const anomaly = scores['anomaly'];
  if (typeof anomaly !== 'object' || anomaly === null) return null;
  const v = (anomaly as Record<string, unknown>)[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Nearest-rank 95th percentile of ascending `sorted` (non-empty). */
const p95 = (sorted: number[]): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))]!;

const numbers = (samples: readonly Record<string, unknown>[], key: 'score' | 'latencyUs'): number[] =>
  samples
    .map((s) => anomalyNumber(s, key))
    .filter((v): v is number => v !== null)
    .sort((a, b) => a - b);

/** The figures of `samples` (each a sample's `scores` object). */
export function scoreFigures(samples: readonly Record<string, unknown>[]): ScoreFigures {
  const scores = numbers(samples, 'score');
  const latencies = numbers(samples, 'latencyUs');
  return {
    anomalyScore: scores.length
      ? { mean: scores.reduce((a, b) => a + b, 0) / scores.length, p95: p95(scores), samples: scores.length }
      : null,
    latencyP95Ms: latencies.length ? p95(latencies) / 1000 : null,
  };
}

/**
 * First cycles of a new model version on a host that the canary's figures leave out: its first steps run before the
 * JS engine has optimised them (tens of ms where warmed-up steps take well under 1 ms), so with a short soak
 * (12 cycles in 2 minutes) they alone would set the p95 and a latency gate would roll back an identical model.
 */
export const WARMUP_CYCLES = 3;

/**
 * The `scores` of the samples `label` (`<model>@<version>`) scored, without each host's first `warmup` of them:
 * the soak window starts when the wave is sent, so a canary host's samples before its switch (scored by the old
 * version) and its cold start are not the new version's figures. A disk-model rollout's hosts keep their anomaly
 * model, so nothing of theirs counts (no anomaly figures to compare).
 */
export function onModel(
  samples: readonly ScoredSample[],
  label: string,
  warmup = WARMUP_CYCLES,
): Record<string, unknown>[] {
  const mine = samples
    .filter((s) => {
      const a = s.scores['anomaly'];
      return typeof a === 'object' && a !== null && (a as Record<string, unknown>)['model'] === label;
    })
    .sort((a, b) => a.ts - b.ts);
  const seen = new Map<string, number>();
  return mine.flatMap((s) => {
    const n = (seen.get(s.hostId) ?? 0) + 1;
    seen.set(s.hostId, n);
    return n > warmup ? [s.scores] : [];
  });
}
