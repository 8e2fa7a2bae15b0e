/**
 * Disk-failure model vs the SMART 5 + 197 > k rule on Backblaze data.
 * Usage: npm run bench:disk -- --data <csv or dir of csv> [--mode cv|shipped] [--select] [--json] [--help]
 *   cv (default): 5-fold cross-validation by serial hash; every drive is scored by a model not fitted on it.
 *   shipped: scores with the shipped models/disk/disk-failure.trees.json (use on data it was not fitted on) at the
 *     card's alertThreshold.
 *   --select (cv mode): also runs nested leave-one-manufacturer-out, where each held-out vendor's recipe is chosen
 *     among SELECTION_CANDIDATES (models/disk/lovo-select.ts: 5 class weights x 4 slopes of the capped rule term; the
 *     slopes share their trees) on the other vendors only (about 11 fits per held-out vendor, 10x the LOVO time).
 * With --json prints exactly one JSON object on stdout:
 *   {failedDrives, detected, baselineDetected, recall, baselineRecall, falseAlarmRate, baselineFalseAlarmRate,
 *    medianLeadDays, auc, baselineAuc, lovo?: {pooled, vendors[]}, nested?: {pooled, vendors[]}}
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readBackblazeCsv, type BackblazeRow } from '../models/disk/backblaze-csv.ts';
import { buildDataset } from '../models/disk/dataset.ts';
import { driveAuc, evaluateAt, summarize, thresholdForFalseAlarms } from '../models/disk/evaluate.ts';
import { leaveOneManufacturerOut } from '../models/disk/lovo.ts';
import { SELECTION_CANDIDATES, nestedLeaveOneManufacturerOut } from '../models/disk/lovo-select.ts';
import {
  DEFAULT_TRAIN_CONFIG,
  assess,
  crossValidatedScores,
  scoreRows,
  type DiskAssessment,
} from '../models/disk/train.ts';
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

const USAGE = `Usage: npm run bench:disk -- --data <csv or directory of daily csv> [options]
  Disk-failure model vs the rule "SMART 5 + 197 > k" (recall of failed drives flagged 1..7 days ahead at <= 1 %
  of healthy drives flagged, the rule at the matched false-alarm rate; drive-level AUC).
  --mode cv        5-fold cross-validation by drive, then leave-one-manufacturer-out (default)
  --mode shipped   score with the shipped models/disk/disk-failure.trees.json at the card's alertThreshold
  --select         (cv) also nested leave-one-manufacturer-out: each held-out vendor's recipe chosen on the others
  --json           print exactly one JSON object on stdout
  -h, --help       this text
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      mode: { type: 'string', default: 'cv' },
      json: { type: 'boolean', default: false },
      select: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (!values.data) throw new Error('--data <csv or directory> is required');
  if (values.mode !== 'cv' && values.mode !== 'shipped')
    throw new Error(`--mode must be cv or shipped, got "${values.mode}"`);
  const t0 = performance.now();
  const ds = await buildDataset(allRows(csvFiles(values.data)));
  let same: DiskAssessment;
  let lovo: ReturnType<typeof leaveOneManufacturerOut> | undefined;
  let nested: ReturnType<typeof nestedLeaveOneManufacturerOut> | undefined;
  if (values.mode === 'cv') {
    const cfg = DEFAULT_TRAIN_CONFIG;
    same = assess(ds, crossValidatedScores(ds, cfg), cfg.falseAlarmTarget);
    lovo = leaveOneManufacturerOut(ds, cfg);
    if (values.select) nested = nestedLeaveOneManufacturerOut(ds, SELECTION_CANDIDATES);
  } else {
    const dir = new URL('../models/disk/', import.meta.url);
    const trees = treesFromJson(JSON.parse(readFileSync(new URL('disk-failure.trees.json', dir), 'utf8')));
    const card = JSON.parse(readFileSync(new URL('disk-failure.card.json', dir), 'utf8')) as {
      extra: { alertThreshold: number };
    };
    const s = summarize(ds, scoreRows(ds, trees));
    const model = evaluateAt(s, card.extra.alertThreshold);
    const b = summarize(ds, ds.baseline);
    const baseline = evaluateAt(b, Math.max(0, Math.floor(thresholdForFalseAlarms(b, model.falseAlarmRate))));
    same = { model, baseline, auc: driveAuc(s), baselineAuc: driveAuc(b) };
  }
  const result = {
    ...figures(same),
    ...(lovo
      ? {
          lovo: {
            pooled: figures(lovo.pooled),
            vendors: lovo.vendors.map((v) => ({ vendor: v.vendor, drives: v.drives, ...figures(v) })),
          },
        }
      : {}),
    ...(nested
      ? {
          nested: {
            pooled: figures(nested.pooled),
            vendors: nested.vendors.map((v) => ({
              vendor: v.vendor,
              drives: v.drives,
              ruleSlope: SELECTION_CANDIDATES[v.chosen]!.ruleSlope ?? 0,
              positiveWeight: SELECTION_CANDIDATES[v.chosen]!.boost.positiveWeight ?? 1,
              ...figures(v),
            })),
          },
        }
      : {}),
  };
  if (values.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
    return;
  }
  const pct = (v: number | null): string => (v === null ? '   n/a' : `${(100 * v).toFixed(2)}%`);
  const num = (v: number | null): string => (v === null ? ' n/a' : v.toFixed(3));
  const { model, baseline } = same;
  console.log(
    `disk bench (${values.mode}): ${ds.n} drive-days, ${ds.serials.length} drives, ${model.failedDrives} failed, ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  console.log(
    `model    recall ${pct(model.recall)} (${model.detected}/${model.failedDrives}) false alarms ${pct(model.falseAlarmRate)} (${model.flaggedHealthy}/${model.healthyDrives}) median lead ${model.medianLeadDays} d, threshold ${model.threshold.toPrecision(4)}, AUC ${num(same.auc)}`,
  );
  console.log(
    `baseline recall ${pct(baseline.recall)} (${baseline.detected}/${baseline.failedDrives}) false alarms ${pct(baseline.falseAlarmRate)} (${baseline.flaggedHealthy}/${baseline.healthyDrives}) median lead ${baseline.medianLeadDays} d, rule SMART5+SMART197 > ${baseline.threshold}, AUC ${num(same.baselineAuc)}`,
  );
  console.log(`recall ratio model/baseline: ${(model.recall / Math.max(baseline.recall, 1e-9)).toFixed(2)}x`);
  if (!lovo) return;
  console.log(
    'leave-one-manufacturer-out (model fitted on the other manufacturers; rule at the matched false-alarm rate):',
  );
  const row = (name: string, a: DiskAssessment, drives: number): string => {
    const f = figures(a);
    return `  ${name.padEnd(9)} ${String(drives).padStart(6)} drives ${String(a.model.failedDrives).padStart(3)} failed  recall ${pct(f.recall)} vs rule ${pct(f.baselineRecall)} (${a.model.detected} vs ${a.baseline.detected})  false alarms ${pct(a.model.falseAlarmRate)} vs ${pct(a.baseline.falseAlarmRate)}  AUC ${num(f.auc)} vs ${num(f.baselineAuc)}`;
  };
  for (const v of lovo.vendors) console.log(row(v.vendor, v, v.drives));
  console.log(row('pooled', lovo.pooled, ds.serials.length));
  if (!nested) return;
  console.log('nested (recipe per held-out vendor chosen by LOVO over the other vendors only):');
  for (const v of nested.vendors)
    console.log(
      `${row(v.vendor, v, v.drives)}  ruleSlope ${SELECTION_CANDIDATES[v.chosen]!.ruleSlope ?? 0} positiveWeight ${SELECTION_CANDIDATES[v.chosen]!.boost.positiveWeight ?? 1}`,
    );
  console.log(row('pooled', nested.pooled, ds.serials.length));
}

/** The JSON figures of one assessment; recall and AUC are null without failed drives (nothing to detect). */
function figures(a: DiskAssessment) {
  const { model, baseline } = a;
  const none = model.failedDrives === 0;
  const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);
  return {
    failedDrives: model.failedDrives,
    detected: model.detected,
    baselineDetected: baseline.detected,
    recall: none ? null : model.recall,
    baselineRecall: none ? null : baseline.recall,
    falseAlarmRate: model.falseAlarmRate,
    baselineFalseAlarmRate: baseline.falseAlarmRate,
    medianLeadDays: finite(model.medianLeadDays),
    auc: finite(a.auc),
    baselineAuc: finite(a.baselineAuc),
  };
}

await main();
