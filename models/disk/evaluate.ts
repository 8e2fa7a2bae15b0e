import type { DiskDataset } from './dataset.ts';

/** Alarm window: a failed drive counts as caught when flagged this many days before its failure day (inclusive). */
export const LEAD_MIN_DAYS = 1;
export const LEAD_MAX_DAYS = 7;

/** Figures of one scorer at one threshold (a row is flagged when score > threshold). */
export interface Evaluation {
  readonly threshold: number;
  /** Drives with a failure=1 row (all of them are in the denominator, even ones with no earlier row). */
  readonly failedDrives: number;
  /** Failed drives flagged on at least one day 1..7 days before their failure. */
  readonly detected: number;
  readonly recall: number;
  readonly healthyDrives: number;
  /** Healthy (never failing) drives flagged on at least one day. */
  readonly flaggedHealthy: number;
  readonly falseAlarmRate: number;
  /** Median over detected drives of days between the first flag in the window and the failure; NaN when none. */
  readonly medianLeadDays: number;
}

/**
 * Per-drive summary of row scores: for healthy drives the maximum score over the period; for failed drives the
 * best score on each lead day 1..7 (index lead-1; -Infinity when the drive has no row that day).
 */
export interface DriveScores {
  readonly healthyMax: Float64Array;
  readonly failedByLead: Float64Array[];
}

/** Summarizes row scores (aligned with the dataset rows) per drive; only drives `keep` accepts (all by default). */
export function summarize(ds: DiskDataset, scores: ArrayLike<number>, keep?: (d: number) => boolean): DriveScores {
  const nd = ds.serials.length;
  const max = new Float64Array(nd).fill(-Infinity);
  const failedIdx = new Int32Array(nd).fill(-1);
  const failedByLead: Float64Array[] = [];
  for (let d = 0; d < nd; d++) {
    if (keep && !keep(d)) continue;
    if (ds.failDay[d]! >= 0) {
      failedIdx[d] = failedByLead.length;
      failedByLead.push(new Float64Array(LEAD_MAX_DAYS).fill(-Infinity));
    }
  }
  for (let i = 0; i < ds.n; i++) {
    const d = ds.drive[i]!;
    if (keep && !keep(d)) continue;
    const s = scores[i]!;
    const fi = failedIdx[d]!;
    if (fi < 0) {
      if (s > max[d]!) max[d] = s;
      continue;
    }
    const lead = ds.failDay[d]! - ds.day[i]!;
    if (lead >= LEAD_MIN_DAYS && lead <= LEAD_MAX_DAYS) failedByLead[fi]![lead - 1] = s;
  }
  const healthyMax: number[] = [];
  for (let d = 0; d < nd; d++) if (failedIdx[d]! < 0 && (!keep || keep(d))) healthyMax.push(max[d]!);
  return { healthyMax: Float64Array.from(healthyMax), failedByLead };
}

/** Recall, false alarms and median lead time when flagging scores strictly above `threshold`. */
export function evaluateAt(s: DriveScores, threshold: number): Evaluation {
  let flaggedHealthy = 0;
  for (const m of s.healthyMax) if (m > threshold) flaggedHealthy++;
  const leads: number[] = [];
  for (const byLead of s.failedByLead) {
    for (let lead = LEAD_MAX_DAYS; lead >= LEAD_MIN_DAYS; lead--) {
      if (byLead[lead - 1]! > threshold) {
        leads.push(lead);
        break;
      }
    }
  }
  const failedDrives = s.failedByLead.length;
  const healthyDrives = s.healthyMax.length;
  return {
    threshold,
    failedDrives,
    detected: leads.length,
    recall: failedDrives ? leads.length / failedDrives : 0,
    healthyDrives,
    flaggedHealthy,
    falseAlarmRate: healthyDrives ? flaggedHealthy / healthyDrives : 0,
    medianLeadDays: median(leads),
  };
}

/** The lowest threshold whose false-alarm rate (share of healthy drives flagged, score > threshold) is <= maxRate. */
export function thresholdForFalseAlarms(s: DriveScores, maxRate: number): number {
  const sorted = Float64Array.from(s.healthyMax).sort().reverse();
  const allowed = Math.floor(maxRate * sorted.length + 1e-9);
  if (sorted.length === 0) return -Infinity;
  // Flagging "> sorted[allowed]" flags at most `allowed` healthy drives (fewer on ties).
  return allowed >= sorted.length ? -Infinity : sorted[allowed]!;
}

/**
 * Drive-level ROC AUC: a failed drive's score is its best score 1..7 days before failure (-Infinity without a row
 * there), a healthy drive's its maximum over the period; ties count half. NaN without failed or healthy drives.
 */
export function driveAuc(s: DriveScores): number {
  const pos = s.failedByLead.map((byLead) => Math.max(...byLead));
  const neg = Float64Array.from(s.healthyMax).sort();
  if (pos.length === 0 || neg.length === 0) return Number.NaN;
  const below = (v: number, strict: boolean): number => {
    let lo = 0;
    let hi = neg.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (strict ? neg[mid]! < v : neg[mid]! <= v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  let sum = 0;
  for (const p of pos) sum += (below(p, true) + below(p, false)) / 2;
  return sum / (pos.length * neg.length);
}

/** Median of a list (mean of the middle two for even length); NaN for an empty list. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Fold (0..k-1) of a serial number: FNV-1a 32-bit hash mod k, stable across runs and machines. */
export function foldOf(serial: string, k: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < serial.length; i++) {
    h ^= serial.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % k;
}
