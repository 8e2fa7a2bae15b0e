/**
 * Nested leave-one-manufacturer-out selection: for each held-out manufacturer, the training recipe is chosen among a
 * few candidates by leave-one-manufacturer-out over the OTHER manufacturers only, then fitted on all of them and
 * scored on the held-out one. The held-out manufacturer's drives never inform the choice.
 */
import type { DiskDataset } from './dataset.ts';
import { FEATURE_COUNT } from '../../contract/models/disk/features.ts';
import { manufacturerOf, type HeldOutVendor, type LovoResult } from './lovo.ts';
import { DEFAULT_TRAIN_CONFIG, assess, fitDiskModel, type DiskTrainConfig } from './train.ts';
import { treeProbability } from './trees.ts';

/**
 * Recipes `bench:disk --select` chooses among, the shipped default first: more or fewer of the 60 trees spent on
 * the rule's staircase (log1p(SMART 5 + 197) alone) before the correcting trees, i.e. how far the model trusts the
 * rule's quantity against the other signals.
 */
export const SELECTION_CANDIDATES: readonly DiskTrainConfig[] = [6, 20, 40].map((ruleTrees) => ({
  ...DEFAULT_TRAIN_CONFIG,
  ruleTrees,
}));

/** How one candidate did on the manufacturers it was held out from (inner folds). */
export interface CandidateScore {
  /** Index into the candidate list. */
  readonly candidate: number;
  /** Inner manufacturers (with failures) on which the candidate caught fewer drives than the rule. */
  readonly belowRule: number;
  /** Sum over inner manufacturers of (model detected - rule detected) at the matched false-alarm rate. */
  readonly margin: number;
}

/**
 * Ranks candidates: fewest manufacturers below the rule first (the target is "never below the rule"), then the
 * largest total margin over it, then the earlier candidate (list them from the default onwards).
 */
export function bestCandidate(scores: readonly CandidateScore[]): number {
  const sorted = [...scores].sort(
    (a, b) => a.belowRule - b.belowRule || b.margin - a.margin || a.candidate - b.candidate,
  );
  return sorted[0]!.candidate;
}

/** Leave-one-manufacturer-out scores of every candidate over the drives `inScope` accepts (inner folds). */
export function scoreCandidates(
  ds: DiskDataset,
  candidates: readonly DiskTrainConfig[],
  vendorOf: readonly string[],
  inScope: (d: number) => boolean,
): CandidateScore[] {
  const names = [...new Set(vendorOf.filter((_, d) => inScope(d)))].sort();
  const withFailures = names.filter((v) => ds.failDay.some((f, d) => f >= 0 && vendorOf[d] === v && inScope(d)));
  return candidates.map((cfg, candidate) => {
    let belowRule = 0;
    let margin = 0;
    for (const v of withFailures) {
      const m = fitDiskModel(ds, cfg, (d) => inScope(d) && vendorOf[d] !== v);
      const scores = new Float64Array(ds.n);
      for (let i = 0; i < ds.n; i++)
        if (vendorOf[ds.drive[i]!] === v && inScope(ds.drive[i]!))
          scores[i] = treeProbability(m, ds.x.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT));
      const a = assess(ds, scores, cfg.falseAlarmTarget, (d) => inScope(d) && vendorOf[d] === v);
      if (a.model.detected < a.baseline.detected) belowRule++;
      margin += a.model.detected - a.baseline.detected;
    }
    return { candidate, belowRule, margin };
  });
}

/** Outer fold result with the candidate its inner folds chose. */
export interface SelectedVendor extends HeldOutVendor {
  readonly chosen: number;
  readonly inner: CandidateScore[];
}

/** Nested result: per held-out manufacturer with its chosen candidate, and pooled. */
export interface NestedLovoResult extends Omit<LovoResult, 'vendors'> {
  readonly vendors: SelectedVendor[];
}

/** Nested leave-one-manufacturer-out: per held-out manufacturer, the candidate chosen on the others, then scored. */
export function nestedLeaveOneManufacturerOut(
  ds: DiskDataset,
  candidates: readonly DiskTrainConfig[],
): NestedLovoResult {
  const vendorOf = ds.models.map(manufacturerOf);
  const names = [...new Set(vendorOf)].sort();
  const scores = new Float64Array(ds.n);
  const picks = new Map<string, { chosen: number; inner: CandidateScore[] }>();
  for (const v of names) {
    const others = (d: number): boolean => vendorOf[d] !== v;
    const inner = scoreCandidates(ds, candidates, vendorOf, others);
    const chosen = bestCandidate(inner);
    picks.set(v, { chosen, inner });
    const m = fitDiskModel(ds, candidates[chosen]!, others);
    for (let i = 0; i < ds.n; i++)
      if (vendorOf[ds.drive[i]!] === v)
        scores[i] = treeProbability(m, ds.x.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT));
  }
  const target = candidates[0]!.falseAlarmTarget;
  const vendors = names.map((v) => {
    const a = assess(ds, scores, target, (d) => vendorOf[d] === v);
    return { vendor: v, drives: a.model.failedDrives + a.model.healthyDrives, ...a, ...picks.get(v)! };
  });
  return { vendors, pooled: assess(ds, scores, target), scores };
}
