/**
 * Fits the anomaly model's parameters once on the NAB corpus (as NAB detectors do; no per-file fitting):
 * coordinate search over multiplicative steps of each key in `TUNED`, objective = NAB standard + reward_low_FP_rate
 * (normalized) of the reference model, then a calibration that rescales `tau` so the corpus-optimal threshold lands at
 * ~0.5 (the agent's default alert threshold; `recordGain` is left alone: lowering it makes drifting metrics alert). Prints the result as JSON; paste it
 * into DEFAULT_PARAMS (reference.ts) and re-run export.ts.
 * Usage: npx tsx models/anomaly/tune.ts [--data ../shared/datasets/nab] [--rounds 2] [--factors 0.6,0.8,1.25,1.6]
 */
import { Command } from 'commander';
import { resolve } from 'node:path';
import { defaultNabDir, hasNab, loadNab } from '../nab/dataset.ts';
import type { NabFile } from '../nab/dataset.ts';
import { nabScores } from './nab-run.ts';
import { DEFAULT_PARAMS } from './reference.ts';
import type { AnomalyParams } from './reference.ts';

/** The keys the search moves (fixed by hand: epsAbs = numeric floor; warmup 128 and likelihoodWarmup 256 samples so a
 * new host neither alerts on its own first extremes nor on the likelihood's start-up transient; seasonBuckets 24 =
 * hourly, chosen among 12/24/48). */
export const TUNED: readonly (keyof AnomalyParams)[] = [
  'alpha', 'clip', 'epsRel', 'surpriseCap', 'alphaShort', 'alphaLong', 'likelihoodEps', 'tau',
  'spTol', 'recordRate', 'recordGain', 'envDecay', 'seasonRate', 'seasonWarmup',
];

type Scored = { params: AnomalyParams; objective: number; standard: number; lowFP: number; lowFN: number; threshold: number };

function evaluate(params: AnomalyParams, files: readonly NabFile[]): Scored {
  const q = nabScores(params, files);
  return {
    params, objective: q.standard.normalized + q.reward_low_FP_rate.normalized,
    standard: q.standard.normalized, lowFP: q.reward_low_FP_rate.normalized, lowFN: q.reward_low_FN_rate.normalized, threshold: q.standard.threshold,
  };
}

/** Coordinate search from `start`; `log` receives each improvement. */
export function coordinateSearch(start: AnomalyParams, files: readonly NabFile[], rounds: number, log: (s: string) => void = () => {}, factors: readonly number[] = [0.6, 0.8, 1.25, 1.6]): Scored {
  let best = evaluate(start, files);
  for (let round = 0; round < rounds; round++) {
    let improved = false;
    for (const key of TUNED) {
      for (const f of factors) {
        const p = { ...best.params, [key]: best.params[key] * f };
        if (key === 'envDecay' && p.envDecay >= 1) continue;
        const s = evaluate(p, files);
        if (s.objective > best.objective + 1e-9) {
          best = s;
          improved = true;
          log(`${key}=${p[key]} standard ${s.standard.toFixed(2)} lowFP ${s.lowFP.toFixed(2)}`);
        }
      }
    }
    if (!improved) break;
  }
  return best;
}

/** Rescales tau so the standard-profile threshold becomes ~0.5 (it scales the likelihood score's odds by 1/k). */
export function calibrate(s: Scored, files: readonly NabFile[]): Scored {
  const k = s.threshold / (1 - s.threshold);
  return evaluate({ ...s.params, tau: s.params.tau * k }, files);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const o = new Command()
    .option('--data <dir>', 'NAB dataset directory', defaultNabDir())
    .option('--rounds <n>', 'search rounds', '2')
    .option('--factors <list>', 'multiplicative steps tried per key', '0.6,0.8,1.25,1.6')
    .parse(process.argv).opts<{ data: string; rounds: string; factors: string }>();
  const dir = resolve(o.data);
  if (!hasNab(dir)) throw new Error(`--data ${dir}: not a NAB dataset`);
  const files = loadNab(dir);
  const factors = o.factors.split(',').map(Number);
  if (factors.some((f) => !(f > 0))) throw new Error(`--factors '${o.factors}': allowed positive numbers, comma-separated`);
  const best = calibrate(coordinateSearch(DEFAULT_PARAMS, files, Number(o.rounds), (s) => console.error(s), factors), files);
  console.log(JSON.stringify(best));
}
