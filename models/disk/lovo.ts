/**
 * Leave-one-manufacturer-out cross-validation: for each manufacturer, a model fitted on the other manufacturers'
 * drives scores that manufacturer's drives. Measures whether the disk model travels to a vendor it never saw.
 */
import type { DiskDataset } from './dataset.ts';
import { FEATURE_COUNT } from '../../contract/models/disk/features.ts';
import { DEFAULT_TRAIN_CONFIG, assess, fitDiskModel, type DiskAssessment, type DiskTrainConfig } from './train.ts';
import { treeProbability } from './trees.ts';

/**
 * Manufacturer from the model string prefix: the first word, upper-cased; Backblaze writes Seagate models bare
 * (`ST3000DM001`) and HGST is Hitachi's drive business (one manufacturer); bare `WD…` models are WDC.
 */
export function manufacturerOf(model: string): string {
  const m = model.trim().toUpperCase();
  if (/^ST\d/.test(m) || m.startsWith('SEAGATE')) return 'SEAGATE';
  if (/^(HITACHI|HGST)\b/.test(m)) return 'HITACHI';
  if (/^(WDC\b|WD[\d-])/.test(m) || m.startsWith('WESTERN DIGITAL')) return 'WDC';
  return m.split(/\s+/)[0] || 'UNKNOWN';
}

/** One held-out manufacturer's figures (the model fitted without its drives). */
export interface HeldOutVendor extends DiskAssessment {
  readonly vendor: string;
  readonly drives: number;
}

/** Per held-out manufacturer and pooled (all out-of-manufacturer scores ranked together). */
export interface LovoResult {
  readonly vendors: HeldOutVendor[];
  readonly pooled: DiskAssessment;
  /** Out-of-manufacturer score per row. */
  readonly scores: Float64Array;
}

/** Runs the cross-validation with one training recipe for every fold. */
export function leaveOneManufacturerOut(ds: DiskDataset, cfg: DiskTrainConfig = DEFAULT_TRAIN_CONFIG): LovoResult {
  const vendorOf = ds.models.map(manufacturerOf);
  const names = [...new Set(vendorOf)].sort();
  const scores = new Float64Array(ds.n);
  const vendors: HeldOutVendor[] = [];
  for (const v of names) {
    const m = fitDiskModel(ds, cfg, (d) => vendorOf[d] !== v);
    for (let i = 0; i < ds.n; i++)
      if (vendorOf[ds.drive[i]!] === v)
        scores[i] = treeProbability(m, ds.x.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT));
  }
  for (const v of names) {
    const keep = (d: number): boolean => vendorOf[d] === v;
    const a = assess(ds, scores, cfg.falseAlarmTarget, keep);
    vendors.push({ vendor: v, drives: a.model.failedDrives + a.model.healthyDrives, ...a });
  }
  return { vendors, pooled: assess(ds, scores, cfg.falseAlarmTarget), scores };
}
