/**
 * Cross-validation across entities of the few choices that matter (cap, smoothing, components): every grid point is
 * scored on every entity once; for each fold the point with the best mean point-wise + composite F1 on the other
 * entities is chosen and scored on the fold's entities. Prints the held-out figures next to the shipped parameters'.
 * Usage: npx tsx models/multivariate/tune.ts --data ../shared/datasets/asd [--folds 3]
 */
import { Command } from 'commander';
import { resolve } from 'node:path';
import { entityNames, loadEntity } from './asd.ts';
import { entityFigures, type EntityFigures } from './benchmark.ts';
import { MV_PARAMS, type MvParams } from './reference.ts';
import { scoreRows } from './run.ts';

const GRID: Partial<MvParams>[] = [];
for (const zCap of [6, 8])
  for (const smooth of [0.3, 0.5]) for (const components of [3, 5]) GRID.push({ zCap, smooth, components });

const o = new Command()
  .requiredOption('--data <dir>', 'ASD directory')
  .option('--folds <n>', 'folds (entities dealt round-robin)', '3')
  .parse(process.argv)
  .opts<{ data: string; folds: string }>();
const dir = resolve(o.data);
const names = entityNames(dir);
const entities = names.map((n) => loadEntity(dir, n));
const figures: EntityFigures[][] = GRID.map((g) =>
  entities.map((e) => {
    const s = scoreRows({ ...MV_PARAMS, ...g }, [...e.train, ...e.test], 0).subarray(e.train.length);
    return entityFigures(e, s, false);
  }),
);
const mean = (fs: EntityFigures[], k: 'f1Pointwise' | 'f1Composite') => fs.reduce((a, f) => a + f[k], 0) / fs.length;
const folds = Number(o.folds);
const held: EntityFigures[] = [];
for (let k = 0; k < folds; k++) {
  const inFold = (i: number) => i % folds === k;
  const pick = (gi: number, test: boolean) => figures[gi]!.filter((_, i) => inFold(i) === test);
  let best = 0;
  const fit = (gi: number) => mean(pick(gi, false), 'f1Pointwise') + mean(pick(gi, false), 'f1Composite');
  for (let gi = 1; gi < GRID.length; gi++) if (fit(gi) > fit(best)) best = gi;
  held.push(...pick(best, true));
  console.log(`fold ${k}: chose ${JSON.stringify(GRID[best])} on ${names.filter((_, i) => !inFold(i)).join(',')}`);
}
const shipped = GRID.findIndex(
  (g) => g.zCap === MV_PARAMS.zCap && g.smooth === MV_PARAMS.smooth && g.components === MV_PARAMS.components,
);
console.log(
  `held-out (chosen per fold): point-wise ${mean(held, 'f1Pointwise').toFixed(3)} composite ${mean(held, 'f1Composite').toFixed(3)}`,
);
if (shipped >= 0)
  console.log(
    `shipped parameters on all: point-wise ${mean(figures[shipped]!, 'f1Pointwise').toFixed(3)} composite ${mean(figures[shipped]!, 'f1Composite').toFixed(3)}`,
  );
