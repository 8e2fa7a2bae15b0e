/**
 * Multivariate benchmark (SMD/ASD layout, e.g. ../shared/datasets/asd; read its SOURCE.md): per entity, the train
 * rows are streamed first and then the test rows, one row at a time with the state carried forward, through the same
 * code path as `homeostat models score` (the model card + the agent's anomaly detector on an inference engine); rows
 * get 5-minute timestamps from 1970-01-01T00:00Z, as an agent's samples carry times. Scored on the test rows:
 * point-wise, composite (point precision, event recall) and point-adjusted best F1 (best threshold per entity), and at
 * the shipped default alert settings (contract/models/alerting.ts, no per-entity tuning): event recall, point
 * precision and alert episodes per day outside labelled anomalies. Baselines in the same run, fitted on each entity's
 * train rows: the largest per-feature |z-score|, and PCA reconstruction error (95 % of the variance).
 * Engines: js (default: the agent's JS engine), onnx (onnxruntime-node), auto (as the agent), reference (plain TS).
 * Usage: npm run bench:mv -- --data <dir> [--json] [--model models/anomaly/anomaly-multi.card.json] [--engine js]
 */
import { Command, Option } from 'commander';
import { resolve } from 'node:path';
import { createAnomalyDetector } from '../agent/infer/anomaly-detector.ts';
import { createEngine } from '../agent/infer/engines.ts';
import { readModelFile } from '../agent/infer/model-file.ts';
import { checkStatefulSession } from '../agent/infer/stateful-model.ts';
import { entityNames, loadEntity, type MvEntity } from '../models/multivariate/asd.ts';
import { pcaReconstruction, zscoreMax } from '../models/multivariate/baselines.ts';
import { entityFigures, meanFigures, type EntityFigures } from '../models/multivariate/benchmark.ts';
import { MV_PARAMS } from '../models/multivariate/reference.ts';
import { scoreRows } from '../models/multivariate/run.ts';

/** Row interval of the benchmark data (ASD: 5 minutes). */
const INTERVAL_MS = 300_000;
const SHIPPED = new URL('../models/anomaly/anomaly-multi.card.json', import.meta.url).pathname;

export type MvEngine = 'js' | 'onnx' | 'auto' | 'reference';

/** Test-row scores of the model for one entity, and the time per streamed row (µs). */
async function scoreModel(
  modelPath: string,
  engine: MvEngine,
  e: MvEntity,
): Promise<{ score: Float32Array; us: number }> {
  const rows = [...e.train, ...e.test];
  if (engine === 'reference') {
    const t0 = performance.now();
    const score = scoreRows(MV_PARAMS, rows, 0, INTERVAL_MS);
    return { score: score.subarray(e.train.length), us: ((performance.now() - t0) * 1000) / rows.length };
  }
  const file = await readModelFile(modelPath);
  const session = await createEngine(engine === 'onnx' ? 'onnxruntime' : engine).load(
    file.bytes,
    file.verdict === undefined ? {} : { verdict: file.verdict },
  );
  checkStatefulSession(file.card, session);
  const F = rows[0]!.length;
  const names = Array.from({ length: F }, (_, j) => `m${j + 1}`);
  const detector = createAnomalyDetector(file.card, session, { maxFeatures: F, topK: 1 });
  const score = new Float32Array(rows.length);
  const features: Record<string, number | null> = {};
  let spent = 0;
  for (const [i, x] of rows.entries()) {
    for (let j = 0; j < F; j++) features[names[j]!] = Number.isNaN(x[j]!) ? null : x[j]!;
    const t0 = performance.now();
    const r = await detector.step(features, i * INTERVAL_MS);
    spent += performance.now() - t0;
    score[i] = r.score;
  }
  await session.release();
  return { score: score.subarray(e.train.length), us: (spent * 1000) / rows.length };
}

/** A baseline's mean figures (best F1 only: its score is not on the model's [0, 1] alert scale). */
export interface BaselineFigures {
  f1Pointwise?: number;
  f1Composite?: number;
  f1PointAdjusted?: number;
  entities: EntityFigures[];
  usPerSample: number;
}

/** The benchmark's result (`--json`). */
export interface MvBenchResult {
  model: string;
  engine: MvEngine;
  entities: EntityFigures[];
  f1Pointwise: number;
  f1Composite: number;
  f1PointAdjusted: number;
  eventRecallAtDefault: number;
  precisionAtDefault: number;
  falseEpisodesPerDay: number;
  usPerSample: number;
  baselines: Record<'zscore' | 'pca', BaselineFigures>;
}

/** Runs the benchmark over every entity of `dataDir`. */
export async function runMvBench(opts: { dataDir: string; model?: string; engine?: MvEngine }): Promise<MvBenchResult> {
  const model = opts.model ?? SHIPPED;
  const engine = opts.engine ?? 'js';
  const per: EntityFigures[] = [];
  const base = { zscore: [] as EntityFigures[], pca: [] as EntityFigures[] };
  const time = { model: 0, zscore: 0, pca: 0 };
  let rows = 0;
  let testRows = 0;
  for (const name of entityNames(opts.dataDir)) {
    const e = loadEntity(opts.dataDir, name);
    rows += e.train.length + e.test.length;
    testRows += e.test.length;
    const m = await scoreModel(model, engine, e);
    time.model += m.us * (e.train.length + e.test.length);
    per.push(entityFigures(e, m.score, true));
    for (const [kind, fn] of [
      ['zscore', zscoreMax],
      ['pca', pcaReconstruction],
    ] as const) {
      const t0 = performance.now();
      const s = fn(e.train, e.test);
      time[kind] += (performance.now() - t0) * 1000;
      base[kind].push(entityFigures(e, s, false));
    }
  }
  const mean = meanFigures(per);
  const file = await readModelFile(model);
  return {
    model: `${file.card.name}@${file.card.version}`,
    engine,
    entities: per,
    f1Pointwise: mean.f1Pointwise!,
    f1Composite: mean.f1Composite!,
    f1PointAdjusted: mean.f1PointAdjusted!,
    eventRecallAtDefault: mean.eventRecallAtDefault!,
    precisionAtDefault: mean.precisionAtDefault!,
    falseEpisodesPerDay: mean.falseEpisodesPerDay!,
    usPerSample: time.model / rows,
    baselines: {
      zscore: { ...meanFigures(base.zscore), entities: base.zscore, usPerSample: time.zscore / testRows },
      pca: { ...meanFigures(base.pca), entities: base.pca, usPerSample: time.pca / testRows },
    },
  };
}

function table(r: MvBenchResult): string {
  const f = (v: number | undefined) => (v === undefined ? '' : v.toFixed(3));
  const lines = [
    `${r.model} on the ${r.engine} engine; best F1 per entity: point-wise / composite / point-adjusted`,
    '| entity | model | z-score max | PCA recon | recall@default | precision@default | false episodes/day |',
    '|---|---|---|---|---|---|---|',
  ];
  const tri = (e: { f1Pointwise?: number; f1Composite?: number; f1PointAdjusted?: number }) =>
    `${f(e.f1Pointwise)} / ${f(e.f1Composite)} / ${f(e.f1PointAdjusted)}`;
  for (const [i, e] of r.entities.entries())
    lines.push(
      `| ${e.entity} | ${tri(e)} | ${tri(r.baselines.zscore.entities[i]!)} | ${tri(r.baselines.pca.entities[i]!)} | ${f(e.eventRecallAtDefault)} | ${f(e.precisionAtDefault)} | ${f(e.falseEpisodesPerDay)} |`,
    );
  lines.push(
    `| **mean** | **${tri(r)}** | ${tri(r.baselines.zscore)} | ${tri(r.baselines.pca)} | ${f(r.eventRecallAtDefault)} | ${f(r.precisionAtDefault)} | ${f(r.falseEpisodesPerDay)} |`,
    '',
    `time per sample: model ${r.usPerSample.toFixed(1)} µs (whole detector step, train and test rows); z-score ${r.baselines.zscore.usPerSample.toFixed(1)} µs, PCA ${r.baselines.pca.usPerSample.toFixed(1)} µs (batch fit + score, per test row)`,
  );
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const o = new Command()
    .requiredOption('--data <dir>', 'benchmark directory in SMD/ASD layout (train/, test/, test_label/)')
    .option('--model <path>', 'model card or .onnx (its card beside it)', SHIPPED)
    .addOption(
      new Option('--engine <engine>', 'what runs the model').choices(['js', 'onnx', 'auto', 'reference']).default('js'),
    )
    .option('--json', 'print one JSON object')
    .parse(process.argv)
    .opts<{ data: string; model: string; engine: MvEngine; json?: boolean }>();
  const r = await runMvBench({ dataDir: resolve(o.data), model: resolve(o.model), engine: o.engine });
  console.log(o.json ? JSON.stringify(r) : table(r));
}
