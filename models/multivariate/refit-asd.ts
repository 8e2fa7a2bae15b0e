/**
 * Checks the fleet refit procedure on labelled data: ASD's 12 servers' train rows are the "fleet" (5-minute times
 * from 0, as bench:mv streams them), fitFleet refits components and z0 on them, and ASD is then scored (train then
 * test rows per server) with the refit and with the shipped parameters. Prints both sets of figures.
 * Usage: npx tsx models/multivariate/refit-asd.ts --data ../shared/datasets/asd
 */
import { resolve } from 'node:path';
import { Command } from 'commander';
import { entityNames, loadEntity } from './asd.ts';
import { asdFigures } from './export.ts';
import { fitFleet, type FleetSample } from './fleet-fit.ts';
import { MV_PARAMS } from './reference.ts';

const o = new Command()
  .requiredOption('--data <dir>', 'ASD directory')
  .option('--quantile <q>', 'quantile of the training surprise that scores enter', '0.999')
  .parse(process.argv)
  .opts<{ data: string; quantile: string }>();
const dir = resolve(o.data);
const entities = entityNames(dir).map((n) => ({ id: n, rows: loadEntity(dir, n).train }));
const F = entities[0]!.rows[0]!.length;
const names = Array.from({ length: F }, (_, j) => `f${j}`);
const sample = (x: Float32Array, i: number): FleetSample => ({
  ts: i * 300_000,
  features: Object.fromEntries(names.map((n, j) => [n, Number.isNaN(x[j]!) ? null : x[j]!])),
});
const started = performance.now();
const fit = await fitFleet(
  {
    hosts: entities.map((e) => ({ id: e.id, firstTs: 0, lastTs: (e.rows.length - 1) * 300_000, features: names })),
    async *read(id, since, until) {
      const rows = entities.find((e) => e.id === id)!.rows;
      for (const [i, x] of rows.entries()) if (i * 300_000 >= since && i * 300_000 < until) yield sample(x, i);
    },
  },
  { since: 0, until: Number.MAX_SAFE_INTEGER, holdout: 0.2, candidates: names, quantile: Number(o.quantile) },
);
const fitMs = performance.now() - started;
const round = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, +v.toFixed(3)]));
console.log(
  JSON.stringify({
    fitMs: Math.round(fitMs),
    samples: fit.data.samples,
    components: fit.params.components,
    z0: fit.params.z0,
    heldBackTrain: { fitted: round(fit.quality.fitted), shipped: round(fit.quality.base) },
    asd: { refit: round(asdFigures(dir, fit.params)), shipped: round(asdFigures(dir, MV_PARAMS)) },
  }),
);
