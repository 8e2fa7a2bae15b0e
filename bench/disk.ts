/**
 * Disk-failure model vs the SMART 5 + 197 > k rule on Backblaze data.
 * Usage: npm run bench:disk -- --data <csv or dir of csv> [--mode cv|shipped] [--json]
 *   cv (default): 5-fold cross-validation by serial hash; every drive is scored by a model not fitted on it.
 *   shipped: scores with the shipped models/disk/disk-failure.trees.json (use on data it was not fitted on) at the
 *     card's alertThreshold.
 * With --json prints exactly one JSON object on stdout:
 *   {failedDrives, detected, baselineDetected, recall, baselineRecall, falseAlarmRate, baselineFalseAlarmRate, medianLeadDays}
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readBackblazeCsv, type BackblazeRow } from '../models/disk/backblaze-csv.ts';
import { buildDataset } from '../models/disk/dataset.ts';
import { evaluateAt, summarize, thresholdForFalseAlarms, type Evaluation } from '../models/disk/evaluate.ts';
import { DEFAULT_TRAIN_CONFIG, assess, crossValidatedScores, scoreRows } from '../models/disk/train.ts';
import { treesFromJson } from '../models/disk/trees.ts';

/** CSV files of `--data`: the file itself, or every *.csv in the directory sorted by name (daily files sort by date). */
function csvFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((f) => f.endsWith('.csv'))
    .sort()
    .map((f) => join(path, f));
}

async function* allRows(files: string[]): AsyncGenerator<BackblazeRow> {
  for (const f of files) yield* readBackblazeCsv(f);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      mode: { type: 'string', default: 'cv' },
      json: { type: 'boolean', default: false },
    },
  });
  if (!values.data) throw new Error('--data <csv or directory> is required');
  if (values.mode !== 'cv' && values.mode !== 'shipped')
    throw new Error(`--mode must be cv or shipped, got "${values.mode}"`);
  const t0 = performance.now();
  const ds = await buildDataset(allRows(csvFiles(values.data)));
  let model: Evaluation;
  let baseline: Evaluation;
  if (values.mode === 'cv') {
    ({ model, baseline } = assess(
      ds,
      crossValidatedScores(ds, DEFAULT_TRAIN_CONFIG),
      DEFAULT_TRAIN_CONFIG.falseAlarmTarget,
    ));
  } else {
    const dir = new URL('../models/disk/', import.meta.url);
    const trees = treesFromJson(JSON.parse(readFileSync(new URL('disk-failure.trees.json', dir), 'utf8')));
    const card = JSON.parse(readFileSync(new URL('disk-failure.card.json', dir), 'utf8')) as {
      extra: { alertThreshold: number };
    };
    model = evaluateAt(summarize(ds, scoreRows(ds, trees)), card.extra.alertThreshold);
    const b = summarize(ds, ds.baseline);
    baseline = evaluateAt(b, Math.max(0, Math.floor(thresholdForFalseAlarms(b, model.falseAlarmRate))));
  }
  const result = {
    failedDrives: model.failedDrives,
    detected: model.detected,
    baselineDetected: baseline.detected,
    recall: model.recall,
    baselineRecall: baseline.recall,
    falseAlarmRate: model.falseAlarmRate,
    baselineFalseAlarmRate: baseline.falseAlarmRate,
    medianLeadDays: Number.isNaN(model.medianLeadDays) ? null : model.medianLeadDays,
  };
  if (values.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
    return;
  }
  const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;
  console.log(
    `disk bench (${values.mode}): ${ds.n} drive-days, ${ds.serials.length} drives, ${model.failedDrives} failed, ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  console.log(
    `model    recall ${pct(model.recall)} (${model.detected}/${model.failedDrives}) false alarms ${pct(model.falseAlarmRate)} (${model.flaggedHealthy}/${model.healthyDrives}) median lead ${model.medianLeadDays} d, threshold ${model.threshold.toPrecision(4)}`,
  );
  console.log(
    `baseline recall ${pct(baseline.recall)} (${baseline.detected}/${baseline.failedDrives}) false alarms ${pct(baseline.falseAlarmRate)} (${baseline.flaggedHealthy}/${baseline.healthyDrives}) median lead ${baseline.medianLeadDays} d, rule SMART5+SMART197 > ${baseline.threshold}`,
  );
  console.log(`recall ratio model/baseline: ${(model.recall / Math.max(baseline.recall, 1e-9)).toFixed(2)}x`);
}

await main();
