/**
 * Why the disk model misses what the rule catches on one held-out manufacturer: fits the shipped recipe on the other
 * manufacturers, then lists each failed drive's best score 1..7 days ahead beside its SMART 5 + 197, and which
 * features are non-zero on the healthy drives above the 1 % false-alarm threshold.
 * Usage: npx tsx bench/disk-vendor-diag.ts --data <csv> [--vendor HITACHI]
 */
import { parseArgs } from 'node:util';
import { FEATURE_COUNT, FEATURE_NAMES } from '../contract/models/disk/features.ts';
import { loadDataset } from '../models/disk/dataset.ts';
import { manufacturerOf } from '../models/disk/lovo.ts';
import { DEFAULT_TRAIN_CONFIG, assess, fitDiskModel } from '../models/disk/train.ts';
import { treeProbability } from '../models/disk/trees.ts';

const { values } = parseArgs({ options: { data: { type: 'string' }, vendor: { type: 'string', default: 'HITACHI' } } });
if (!values.data) throw new Error('--data <csv> is required');
const v = values.vendor!;
const ds = await loadDataset(values.data);
const vendorOf = ds.models.map(manufacturerOf);
const keep = (d: number): boolean => vendorOf[d] === v;
const m = fitDiskModel(ds, DEFAULT_TRAIN_CONFIG, (d) => !keep(d));
const scores = new Float64Array(ds.n);
for (let i = 0; i < ds.n; i++)
  if (keep(ds.drive[i]!)) scores[i] = treeProbability(m, ds.x.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT));
const a = assess(ds, scores, DEFAULT_TRAIN_CONFIG.falseAlarmTarget, keep);
console.log(
  `${v}: model threshold ${a.model.threshold.toPrecision(3)} catches ${a.model.detected}, rule > ${a.baseline.threshold} catches ${a.baseline.detected} of ${a.model.failedDrives}`,
);
const best = new Map<number, { score: number; sectors: number }>();
for (let i = 0; i < ds.n; i++) {
  const d = ds.drive[i]!;
  const lead = ds.failDay[d]! - ds.day[i]!;
  if (!keep(d) || ds.failDay[d]! < 0 || lead < 1 || lead > 7) continue;
  const b = best.get(d) ?? { score: -1, sectors: -1 };
  best.set(d, { score: Math.max(b.score, scores[i]!), sectors: Math.max(b.sectors, ds.baseline[i]!) });
}
for (const [d, b] of best) {
  const hit = (x: boolean): string => (x ? 'caught' : 'missed');
  console.log(
    `  ${ds.serials[d]} ${ds.models[d]}: model ${b.score.toFixed(4)} ${hit(b.score > a.model.threshold)}, sectors ${b.sectors} ${hit(b.sectors > a.baseline.threshold)}`,
  );
}
const firstFlag = new Map<number, number>();
for (let i = 0; i < ds.n; i++) {
  const d = ds.drive[i]!;
  if (keep(d) && ds.failDay[d]! < 0 && scores[i]! > a.model.threshold && !firstFlag.has(d)) firstFlag.set(d, i);
}
const nonZero = new Array<number>(FEATURE_COUNT).fill(0);
let noSectors = 0;
for (const i of firstFlag.values()) {
  if (ds.baseline[i] === 0) noSectors++;
  for (let j = 0; j < FEATURE_COUNT; j++) if (ds.x[i * FEATURE_COUNT + j] !== 0) nonZero[j]!++;
}
console.log(`healthy drives above the threshold: ${firstFlag.size}, ${noSectors} with no sectors on their first flag`);
console.log(
  `  non-zero features there: ${FEATURE_NAMES.map((n, j) => `${n} ${nonZero[j]}`)
    .filter((s) => !s.endsWith(' 0'))
    .join(', ')}`,
);
