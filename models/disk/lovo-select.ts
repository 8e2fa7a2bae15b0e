/**
 * Nested leave-one-manufacturer-out selection: for each held-out manufacturer, the training recipe is chosen among a
 * few candidates by leave-one-manufacturer-out over the OTHER manufacturers only, then fitted on all of them and
 * scored on the held-out one. The held-out manufacturer's drives never inform the choice.
 */
import type { DiskDataset } from './dataset.ts';
import { evaluateAt, summarize, thresholdForFalseAlarms } from './evaluate.ts';
import { FEATURE_COUNT } from '../../contract/models/disk/features.ts';
import { manufacturerOf, type HeldOutVendor, type LovoResult } from './lovo.ts';
import { DEFAULT_TRAIN_CONFIG, assess, fitDiskModel, withRuleSlope, type DiskTrainConfig } from './train.ts';
import { treeProbability, type TreeEnsemble } from './trees.ts';

/**
 * Recipes `bench:disk --select` chooses among, the shipped default first: the weight of failing rows against healthy
 * ones (BoostOptions.positiveWeight; 1 is the unweighted fit of version 4.0.0) crossed with the weight of the fixed
 * rule term added to the trees' logit (DiskTrainConfig.ruleSlope), i.e. how much a disk with a grown defect is raised
 * where the trees, fitted on other vendors, are flat. The term's form is not selected: it keeps the default's cap
 * (ruleCap, "any sector at all"), a prior that the inner folds cannot check (their vendors, Seagate and WDC here, are
 * the ones whose healthy drives carry sectors). Version 5.0.0's list (weights 5, 1 x uncapped slopes 0.25, 0, 0.5,
 * 1) chose weight 1 or slope 0 on two of three held-out vendors and left both below the rule.
 */
export const RULE_SLOPES = [0.25, 0.5, 1, 2] as const;
export const POSITIVE_WEIGHTS = [5, 1, 3, 10, 20] as const;
export const SELECTION_CANDIDATES: readonly DiskTrainConfig[] = POSITIVE_WEIGHTS.flatMap((positiveWeight) =>
  RULE_SLOPES.map((ruleSlope) => ({
    ...DEFAULT_TRAIN_CONFIG,
    ruleSlope,
    boost: { ...DEFAULT_TRAIN_CONFIG.boost, positiveWeight },
  })),
);

/** How one candidate did on the manufacturers it was held out from (inner folds). */
export interface CandidateScore {
  /** Index into the candidate list. */
  readonly candidate: number;
  /**
   * Inner manufacturers (with failures) on which the candidate caught fewer drives than the rule at the false-alarm
   * target (not at the candidate's own rate: a model fitted on one small vendor can tie nearly every drive, flag
   * none, and would then "match" a rule held to zero false alarms).
   */
  readonly belowRule: number;
  /** Sum over inner manufacturers of (model detected - rule detected), the rule at the false-alarm target. */
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
  // Candidates that differ only in ruleSlope share their trees (the slope is added after fitting): fit once.
  const fits = new Map<string, TreeEnsemble>();
  const fitted = (cfg: DiskTrainConfig, v: string): TreeEnsemble => {
    const key = `${v}\n${JSON.stringify({ ...cfg, ruleSlope: 0, ruleCap: 0 })}`;
    let m = fits.get(key);
    if (!m) fits.set(key, (m = fitDiskModel(ds, { ...cfg, ruleSlope: 0 }, (d) => inScope(d) && vendorOf[d] !== v)));
    return withRuleSlope(m, cfg);
  };
  return candidates.map((cfg, candidate) => {
    let belowRule = 0;
    let margin = 0;
    for (const v of withFailures) {
      const m = fitted(cfg, v);
      const scores = new Float64Array(ds.n);
      for (let i = 0; i < ds.n; i++)
        if (vendorOf[ds.drive[i]!] === v && inScope(ds.drive[i]!))
          scores[i] = treeProbability(m, ds.x.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT));
      const keep = (d: number): boolean => inScope(d) && vendorOf[d] === v;
      const a = assess(ds, scores, cfg.falseAlarmTarget, keep);
      const rule = summarize(ds, ds.baseline, keep);
      const ruleDetected = evaluateAt(
        rule,
        Math.max(0, Math.floor(thresholdForFalseAlarms(rule, cfg.falseAlarmTarget))),
      );
      if (a.model.detected < ruleDetected.detected) belowRule++;
      margin += a.model.detected - ruleDetected.detected;
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
