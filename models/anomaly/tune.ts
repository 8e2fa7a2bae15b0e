/**
 * Fits the anomaly model's parameters once on the NAB corpus (as NAB detectors do; no per-file fitting):
 * coordinate search over multiplicative steps of each key in `TUNED`, objective = NAB standard + reward_low_FP_rate
 * (normalized) of the reference model; with `--calibrate`, then a rescaling of `tau` so the corpus-optimal threshold
 * lands at ~0.5 (the agent's default alert threshold; it cost ~1 NAB point for the shipped 4.x parameters, which is why
 * they are not calibrated). `recordGain` is left alone: lowering it makes drifting metrics alert. Prints the result as
 * JSON; paste it into DEFAULT_PARAMS (reference.ts) and re-run export.ts.
 * `--holdout odd|even` fits on the other half of the files (by index) and also prints the scores on this half.
 * Usage: npx tsx models/anomaly/tune.ts [--data ../shared/datasets/nab] [--rounds 2] [--factors 0.6,0.8,1.25,1.6] [--calibrate] [--holdout odd]
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
  'alpha',
  'clip',
  'epsRel',
  'surpriseCap',
  'alphaShort',
  'alphaLong',
  'likelihoodEps',
  'tau',
  'spTol',
  'recordRate',
  'recordGain',
  'envDecay',
  'seasonRate',
  'seasonWarmup',
  'fireBoost',
];

type Scored = {
  params: AnomalyParams;
  objective: number;
  standard: number;
  lowFP: number;
  lowFN: number;
  threshold: number;
};

function evaluate(params: AnomalyParams, files: readonly NabFile[]): Scored {
  const q = nabScores(params, files);
  return {
    params,
    objective: q.standard.normalized + q.reward_low_FP_rate.normalized,
    standard: q.standard.normalized,
    lowFP: q.reward_low_FP_rate.normalized,
    lowFN: q.reward_low_FN_rate.normalized,
    threshold: q.standard.threshold,
  };
}

/** Coordinate search from `start`; `log` receives each improvement. */
export function coordinateSearch(
  start: AnomalyParams,
  files: readonly NabFile[],
  rounds: number,
  log: (s: string) => void = () => {},
  factors: readonly number[] = [0.6, 0.8, 1.25, 1.6],
): Scored {
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
    .option('--calibrate', 'rescale tau so the standard threshold is ~0.5', false)
    .option('--holdout <half>', "fit on the other half of the files and score this one: 'odd' or 'even'")
    .parse(process.argv)
    .opts<{ data: string; rounds: string; factors: string; calibrate: boolean; holdout?: string }>();
  const dir = resolve(o.data);
  if (!hasNab(dir)) throw new Error(`--data ${dir}: not a NAB dataset`);
  const all = loadNab(dir);
  const factors = o.factors.split(',').map(Number);
  if (factors.some((f) => !(f > 0)))
    throw new Error(`--factors '${o.factors}': allowed positive numbers, comma-separated`);
  if (o.holdout !== undefined && o.holdout !== 'odd' && o.holdout !== 'even')
    throw new Error(`--holdout '${o.holdout}': allowed 'odd' or 'even'`);
  const held = (i: number) => (o.holdout === 'odd' ? i % 2 === 1 : i % 2 === 0);
  const files = o.holdout ? all.filter((_, i) => !held(i)) : all;
  const searched = coordinateSearch(DEFAULT_PARAMS, files, Number(o.rounds), (s) => console.error(s), factors);
  const best = o.calibrate ? calibrate(searched, files) : searched;
  console.log(JSON.stringify(best));
  if (o.holdout)
    console.log(
      JSON.stringify(
        {
          holdout: o.holdout,
          ...evaluate(
            best.params,
            all.filter((_, i) => held(i)),
          ),
        },
        (k, v) => (k === 'params' ? undefined : v),
      ),
    );
}
