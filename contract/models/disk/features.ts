import { countersAgo, dayCounters, dayGain, pushDay, PRESENT, type DayCounters, type DiskHistory } from './history.ts';
import { normalizedDrop, readErrorRateSurprise, stalledDays } from './trends.ts';
import type { SmartReading } from './smart-reading.ts';

/**
 * Version of the feature vector layout below. Bump it whenever a feature is added, removed, reordered or its
 * transform changes; the model card records it and a consumer must refuse a model with a different version.
 */
export const FEATURE_SCHEMA_VERSION = 'disk-features/4';

/**
 * The feature vector, in order. disk-features/3 and /4 keep only what does not depend on one vendor's raw-value
 * conventions: sector and error counts (the same unit on every vendor), changes and rates over the disk's own
 * history, normalized values relative to the disk's own best, and availability masks. No vendor or model identity,
 * no raw level of a vendor-scaled attribute (SMART 1) or of temperature and age (they differ by model and fleet).
 * "sectors" = reallocated (SMART 5) + pending (max of 197, 198, NVMe media_errors). Deltas compare today with the
 * reading n observations ago (n days when called once a day; the oldest kept one when fewer exist; 0 on the first
 * day); decreases count as 0. Counters absent from the reading count as 0 (the masks say they were absent).
 * disk-features/4 (same layout as /3) changed two power-on-hours transforms: hours that go backwards (a reset or a
 * swapped serial, not a stalled disk) are neither a stalled day nor a gain, and a gain counts at most 24 hours (a gap
 * of several days between observations is not a disk running faster than usual).
 */
export const FEATURE_NAMES = [
  'log_reallocated', // log1p(SMART 5)
  'log_pending', // log1p(max(197, 198, media_errors))
  'log_max_pending', // log1p(max pending so far): pending falls back to 0 once sectors are remapped
  'log_sectors', // log1p(sectors): the quantity of the SMART 5 + 197 rule
  'log_sectors_delta1', // log1p(sectors increase over 1 day)
  'log_sectors_delta3', // log1p(sectors increase over 3 days)
  'log_sectors_delta7', // log1p(sectors increase over 7 days)
  'sectors_rise_days7', // observations within the last 7 on which sectors rose, / 7
  'log_other_errors', // log1p(187 + 188 + 199)
  'log_other_errors_delta7', // log1p(increase of 187 + 188 + 199 over 7 days)
  'history_days', // min(days observed including today, 7) / 7: how much history the deltas saw
  'power_on_stalled_days', // consecutive observations up to today (max 7) whose power-on hours stayed the same
  'power_on_gain_ratio', // today's gain (<= 24 h) / the disk's own mean gain, clamped 0..3; 1 unknown or hours fell
  'read_error_rate_surprise', // share of the last 3 days SMART 1 raw changed minus its share before; 0 unknown
  'temperature_shift', // today's temperature minus the disk's own mean so far, clamped -15..15; 0 unknown
  'normalized_drop', // largest fall of a health attribute's normalized value from the disk's best, / that best
  'attributes_lost', // attribute groups reported on the previous observation but not today
  'nvme_critical_warning', // 1 when NVMe critical_warning != 0, else 0
  'nvme_percentage_used', // NVMe percentage_used / 100; 0 when not reported
  'has_sectors', // availability mask: sector counters reported
  'has_errors', // 187, 188 or 199 reported
  'has_power_on_hours',
  'has_temperature',
  'has_read_error_rate',
  'has_normalized',
  'is_nvme',
] as const;

/** K, the width of the feature vector. */
export const FEATURE_COUNT = FEATURE_NAMES.length;

const bitCount = (m: number): number => {
  let n = 0;
  for (let v = m; v; v &= v - 1) n++;
  return n;
};

/**
 * Computes today's feature vector for one disk from its history and today's reading, then appends the reading to
 * the history. Call once per disk per day, in date order (history is per disk: see `createDiskHistory`).
 */
export function diskFeatures(history: DiskHistory, reading: SmartReading): Float32Array {
  const today = dayCounters(reading);
  const sectors = today.reallocated + today.pending;
  const total = (c: DayCounters): number => c.reallocated + c.pending;
  const delta = (n: number): number => {
    const past = countersAgo(history, n);
    return past ? Math.max(0, sectors - total(past)) : 0;
  };
  const d1 = delta(1);
  const d3 = delta(3);
  const d7 = delta(7);
  const past7 = countersAgo(history, 7);
  const otherDelta7 = past7 ? Math.max(0, today.otherErrors - past7.otherErrors) : 0;
  // Single-day rises in the window, even if the total later fell back (pending sectors get remapped).
  const seq = [...history.past, today];
  let rises = 0;
  for (let i = Math.max(1, seq.length - 7); i < seq.length; i++) if (total(seq[i]!) > total(seq[i - 1]!)) rises++;
  const maxPending = Math.max(history.maxPending, today.pending);
  const hoursStalled = stalledDays(
    history.past,
    today,
    (c) => c.powerOnHours,
    (now, prev) => now === prev, // frozen; hours that fell were reset, which says nothing about the disk
  );
  const prev = countersAgo(history, 1);
  const meanGain = history.gainCount ? (history.gainSum ?? 0) / history.gainCount : undefined;
  const todayGain = prev ? dayGain(prev, today) : undefined;
  const gain =
    todayGain !== undefined && meanGain !== undefined && meanGain > 0 ? Math.min(3, todayGain / meanGain) : 1;
  const meanTemp = history.tempCount ? (history.tempSum ?? 0) / history.tempCount : undefined;
  const tempShift =
    today.temperature !== undefined && meanTemp !== undefined
      ? Math.min(15, Math.max(-15, today.temperature - meanTemp))
      : 0;
  const surprise = readErrorRateSurprise(history, today);
  const drop = normalizedDrop(history, reading);
  const present = today.present ?? 0;
  const lost = prev?.present !== undefined ? bitCount(prev.present & ~present) : 0;

  pushDay(history, today, reading.normalized);
  const mask = (bits: number[]): number[] => bits.map((b) => (present & b ? 1 : 0));
  return Float32Array.from([
    Math.log1p(today.reallocated),
    Math.log1p(today.pending),
    Math.log1p(maxPending),
    Math.log1p(sectors),
    Math.log1p(d1),
    Math.log1p(d3),
    Math.log1p(d7),
    rises / 7,
    Math.log1p(today.otherErrors),
    Math.log1p(otherDelta7),
    Math.min(history.daysObserved, 7) / 7,
    hoursStalled,
    gain,
    surprise,
    tempShift,
    drop,
    lost,
    (reading.critical_warning ?? 0) !== 0 ? 1 : 0,
    Math.max(0, reading.percentage_used ?? 0) / 100,
    ...mask([PRESENT.sectors, PRESENT.errors, PRESENT.powerOnHours, PRESENT.temperature]),
    ...mask([PRESENT.readErrorRate, PRESENT.normalized, PRESENT.nvme]),
  ]);
}

export { createDiskHistory, type DiskHistory } from './history.ts';
export type { SmartReading } from './smart-reading.ts';
