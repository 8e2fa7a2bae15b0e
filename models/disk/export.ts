/**
 * Fits the disk-failure model on a Backblaze CSV and ships it:
 *   models/disk/disk-failure.onnx, disk-failure.card.json (via models/onnx/card.ts), disk-failure.trees.json
 *   (the same parameters for the plain-TypeScript reference).
 * Usage: npx tsx models/disk/export.ts --data <backblaze.csv> [--out-dir models/disk]
 * Runs 5-fold CV first (by serial hash) for the card's measured quality and the operating threshold.
 */
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeModelCard } from '../../contract/models/card.ts';
import { loadDataset } from './dataset.ts';
import { FEATURE_COUNT, FEATURE_NAMES, FEATURE_SCHEMA_VERSION } from '../../contract/models/disk/features.ts';
import { INPUT_NAME, OUTPUT_NAME, treeEnsembleGraph } from './onnx-trees.ts';
import { leaveOneManufacturerOut } from './lovo.ts';
import { DEFAULT_TRAIN_CONFIG, assess, crossValidatedScores, fitDiskModel } from './train.ts';
import { treeCount, treesToJson } from './trees.ts';

/** Model version; bump on any refit that ships. */
export const DISK_MODEL_VERSION = '6.0.0';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { data: { type: 'string' }, 'out-dir': { type: 'string' } } });
  if (!values.data) throw new Error('--data <backblaze csv> is required');
  const outDir = values['out-dir'] ?? fileURLToPath(new URL('.', import.meta.url));
  const cfg = DEFAULT_TRAIN_CONFIG;
  const ds = await loadDataset(values.data);
  const failed = [...ds.failDay].filter((f) => f >= 0).length;
  console.error(`loaded ${ds.n} rows, ${ds.serials.length} drives, ${failed} failed; cross-validating...`);
  const cv = assess(ds, crossValidatedScores(ds, cfg), cfg.falseAlarmTarget);
  console.error(
    `cv: recall ${cv.model.recall.toFixed(3)} at false alarms ${cv.model.falseAlarmRate.toFixed(4)}; baseline ${cv.baseline.recall.toFixed(3)}`,
  );
  const lovo = leaveOneManufacturerOut(ds, cfg);
  const heldOut = lovo.vendors.map((v) => ({
    vendor: v.vendor,
    drives: v.drives,
    failedDrives: v.model.failedDrives,
    recall: v.model.failedDrives ? v.model.recall : null,
    baselineRecall: v.model.failedDrives ? v.baseline.recall : null,
    falseAlarmRate: v.model.falseAlarmRate,
    auc: Number.isFinite(v.auc) ? v.auc : null,
    baselineAuc: Number.isFinite(v.baselineAuc) ? v.baselineAuc : null,
  }));
  console.error(
    `lovo pooled: recall ${lovo.pooled.model.recall.toFixed(3)}; rule ${lovo.pooled.baseline.recall.toFixed(3)}`,
  );
  const model = fitDiskModel(ds, cfg);
  const bytes = treeEnsembleGraph(model).toBytes({
    docString: 'P(disk fails within 7 days | SMART history features)',
    metadata: { featureSchemaVersion: FEATURE_SCHEMA_VERSION },
  });
  writeFileSync(join(outDir, 'disk-failure.trees.json'), JSON.stringify(treesToJson(model)) + '\n');
  const card = writeModelCard(join(outDir, 'disk-failure.onnx'), bytes, {
    name: 'disk-failure',
    version: DISK_MODEL_VERSION,
    description:
      'Probability that a disk fails within the next 7 days from its SMART history, updated daily. ' +
      `${treeCount(model)} boosted depth-2 trees (Gather/Less/Where/ReduceSum/Sigmoid)` +
      (model.linear
        ? model.linear.cap === undefined
          ? ` plus ${model.linear.weight} * log1p(SMART 5 + 197) on the logit (Gather/Mul/Add)`
          : ` plus ${model.linear.weight} * min(log1p(SMART 5 + 197), ${model.linear.cap}) on the logit, i.e. a fixed ` +
            'step for a disk with any reallocated or pending sector (Gather/Min/Mul/Add)'
        : '') +
      '. Caller computes the feature ' +
      'vector with models/disk/features.ts diskFeatures(history, reading). Flag a disk when probability > alertThreshold.',
    inputs: [
      {
        name: INPUT_NAME,
        dtype: 'float32',
        shape: ['N', FEATURE_COUNT],
        description: `features in order: ${FEATURE_NAMES.join(', ')}`,
      },
    ],
    outputs: [
      { name: OUTPUT_NAME, dtype: 'float32', shape: ['N', 1], description: 'probability of failure within 7 days' },
    ],
    featureSchemaVersion: FEATURE_SCHEMA_VERSION,
    fittedOn: {
      dataset: `Backblaze Drive Stats ${basename(values.data)}`,
      details:
        `${ds.n} drive-days, ${ds.serials.length} drives, ${failed} failures; positives = rows 0..${cfg.labelLeadDays} days before failure. ` +
        `Manufacturers (drives/failures): ${heldOut.map((v) => `${v.vendor} ${v.drives}/${v.failedDrives}`).join(', ')}. ` +
        'Only raw SMART 1, 5, 9, 194, 197 present in the data (no normalized values, no 187/188/198/199, no NVMe): the ' +
        'features from those, the normalized drop, lost attributes and the availability masks have no fitted splits.',
    },
    quality: {
      metrics: {
        failedDrives: cv.model.failedDrives,
        recall: cv.model.recall,
        falseAlarmRate: cv.model.falseAlarmRate,
        medianLeadDays: cv.model.medianLeadDays,
        baselineRecall: cv.baseline.recall,
        baselineFalseAlarmRate: cv.baseline.falseAlarmRate,
        baselineK: cv.baseline.threshold,
        auc: cv.auc,
        baselineAuc: cv.baselineAuc,
        lovoPooledRecall: lovo.pooled.model.recall,
        lovoPooledBaselineRecall: lovo.pooled.baseline.recall,
        lovoPooledAuc: lovo.pooled.auc,
        lovoPooledBaselineAuc: lovo.pooled.baselineAuc,
      },
      measuredWith:
        `${cfg.folds}-fold CV by serial hash (FNV-1a), out-of-fold scores; recall = failed drives flagged 1..7 days before ` +
        'failure; false-alarm rate = healthy drives flagged at least once; baseline = SMART5+SMART197 > k at matched rate. ' +
        'lovo* = leave-one-manufacturer-out (fitted on the other manufacturers, <= 1 % false alarms per held-out ' +
        'manufacturer, pooled over all out-of-manufacturer scores); per manufacturer in extra.heldOutManufacturers. ' +
        'Command: npm run bench:disk -- --data <csv>',
    },
    opset: 17,
    extra: {
      alertThreshold: cv.model.threshold,
      alertThresholdSource: `out-of-fold scores at <= ${cfg.falseAlarmTarget} false alarms`,
      trainConfig: cfg,
      heldOutManufacturers: heldOut,
    },
  });
  console.error(`wrote ${join(outDir, 'disk-failure.onnx')} (${card.bytes} bytes, sha256 ${card.sha256})`);
}

await main();
