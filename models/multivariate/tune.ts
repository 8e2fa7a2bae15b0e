/**
 * Cross-validation across entities of the few choices that matter: the mean-surprise weight `wM`, the smoothing rate
 * `smooth` and the score scale `z0`. Every (wM, smooth) point is scored on every entity once. For each fold, the point
 * with the best mean point-wise + composite F1 on the other entities is chosen (z0 does not change a best-threshold
 * F1); then z0 is the smallest candidate at which those other entities average at most FALSE_BUDGET false alert
 * episodes a day at the default alert settings (half the target of 1, so the servers above the mean stay near it).
 * Both are scored on the fold's entities. Prints the held-out figures, every grid point's on all entities, and the
 * shipped parameters'.
 * Usage: npx tsx models/multivariate/tune.ts --data ../shared/datasets/asd [--folds 12]  (12 = leave one server out)
 */
import { Command } from 'commander';
import { resolve } from 'node:path';
import { DEFAULT_ALERT_SETTINGS } from '../../contract/models/alerting.ts';
import { entityNames, loadEntity, type MvEntity } from './asd.ts';
import { entityFigures, ROWS_PER_DAY, type EntityFigures } from './benchmark.ts';
import { atAlertSettings } from './evaluate.ts';
import { MV_PARAMS, type MvParams } from './reference.ts';
import { scoreRows } from './run.ts';

const GRID: Partial<MvParams>[] = [];
for (const wM of [0, 1, 2]) for (const smooth of [0.3, 0.5, 0.7]) GRID.push({ wM, smooth });
const Z0S = [4, 4.5, 5, 5.5, 6, 6.5, 7];
/** Mean false alert episodes per entity per day allowed on the training entities when choosing z0. */
const FALSE_BUDGET = 0.5;

const o = new Command()
  .requiredOption('--data <dir>', 'ASD directory')
  .option('--folds <n>', 'folds (entities dealt round-robin; 12 = leave one server out)', '12')
  .parse(process.argv)
  .opts<{ data: string; folds: string }>();
const dir = resolve(o.data);
const names = entityNames(dir);
const entities = names.map((n) => loadEntity(dir, n));

/** The score at another z0: the score is s^2 / (s^2 + z0^2) of the smoothed surprise s, so s^2 is recovered. */
const rescale = (score: Float32Array, from: number, to: number) =>
  score.map((p) => {
    const s2 = (from * from * p) / Math.max(1 - p, 1e-12);
    return s2 / (s2 + to * to);
  });

type Cell = {
  figures: EntityFigures;
  alerts: { eventRecall: number; precision: number; falseEpisodesPerDay: number }[];
};
const alertsAt = (e: MvEntity, score: Float32Array, z0: number) =>
  Z0S.map((z) => atAlertSettings(rescale(score, z0, z), e.label, DEFAULT_ALERT_SETTINGS, ROWS_PER_DAY));
const cells: Cell[][] = GRID.map((g) =>
  entities.map((e) => {
    const p = { ...MV_PARAMS, ...g };
    const s = scoreRows(p, [...e.train, ...e.test], 0).subarray(e.train.length);
    return { figures: entityFigures(e, s, false), alerts: alertsAt(e, s, p.z0) };
  }),
);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const folds = Number(o.folds);
const held: { f: EntityFigures; a: Cell['alerts'][number] }[] = [];
for (let k = 0; k < folds; k++) {
  const inFold = (i: number) => i % folds === k;
  const train = (gi: number) => cells[gi]!.filter((_, i) => !inFold(i));
  const fit = (gi: number) =>
    mean(train(gi).map((c) => c.figures.f1Pointwise)) + mean(train(gi).map((c) => c.figures.f1Composite));
  let best = 0;
  for (let gi = 1; gi < GRID.length; gi++) if (fit(gi) > fit(best)) best = gi;
  let zi = Z0S.findIndex((_, z) => mean(train(best).map((c) => c.alerts[z]!.falseEpisodesPerDay)) <= FALSE_BUDGET);
  if (zi < 0) zi = Z0S.length - 1;
  for (const [i, c] of cells[best]!.entries()) if (inFold(i)) held.push({ f: c.figures, a: c.alerts[zi]! });
  console.log(
    `fold ${k} (${names.filter((_, i) => inFold(i)).join(',')}): chose ${JSON.stringify({ ...GRID[best], z0: Z0S[zi] })}`,
  );
}
const line = (rows: { f: EntityFigures; a: Cell['alerts'][number] }[]) =>
  `point-wise ${mean(rows.map((r) => r.f.f1Pointwise)).toFixed(3)} composite ${mean(rows.map((r) => r.f.f1Composite)).toFixed(3)} point-adjusted ${mean(rows.map((r) => r.f.f1PointAdjusted)).toFixed(3)}; at the default alert settings: event recall ${mean(rows.map((r) => r.a.eventRecall)).toFixed(3)} precision ${mean(rows.map((r) => r.a.precision)).toFixed(3)} false episodes/day ${mean(rows.map((r) => r.a.falseEpisodesPerDay)).toFixed(3)} (${rows.filter((r) => r.a.falseEpisodesPerDay > 1).length} of ${rows.length} entities above 1)`;
console.log(`held-out (chosen per fold): ${line(held)}`);
// every grid point on all entities (the alert figures at the shipped z0, or the nearest candidate)
const zAll = Z0S.reduce((b, z, i) => (Math.abs(z - MV_PARAMS.z0) < Math.abs(Z0S[b]! - MV_PARAMS.z0) ? i : b), 0);
for (const [gi, g] of GRID.entries())
  console.log(
    `grid ${JSON.stringify({ ...g, z0: Z0S[zAll] })} on all: ${line(cells[gi]!.map((c) => ({ f: c.figures, a: c.alerts[zAll]! })))}`,
  );
const shipped = GRID.findIndex((g) => g.wM === MV_PARAMS.wM && g.smooth === MV_PARAMS.smooth);
const z = Z0S.indexOf(MV_PARAMS.z0);
if (shipped >= 0 && z >= 0)
  console.log(`shipped parameters on all: ${line(cells[shipped]!.map((c) => ({ f: c.figures, a: c.alerts[z]! })))}`);
