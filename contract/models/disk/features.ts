import { countersAgo, dayCounters, pushDay, type DayCounters, type DiskHistory } from './history.ts';
import { vendorOf, type SmartReading } from './smart-reading.ts';

/**
 * Version of the feature vector layout below. Bump it whenever a feature is added, removed, reordered or its
 * transform changes; the model card records it and a consumer must refuse a model with a different version.
 */
export const FEATURE_SCHEMA_VERSION = 'disk-features/2';

/**
 * The feature vector, in order. "sectors" = reallocated (SMART 5) + pending (max of 197, 198, NVMe media_errors).
 * Deltas compare today with the reading n observations ago (n days when called once a day; the oldest kept one
 * when fewer exist; 0 on the first day); decreases count as 0. Counters absent from the reading count as 0.
 */
export const FEATURE_NAMES = [
  'log_reallocated', // log1p(SMART 5)
  'log_pending', // log1p(max(197, 198, media_errors))
  'log_max_pending', // log1p(max pending so far): pending falls back to 0 once sectors are remapped
  'log_sectors_delta1', // log1p(sectors increase over 1 day)
  'log_sectors_delta3', // log1p(sectors increase over 3 days)
  'log_sectors_delta7', // log1p(sectors increase over 7 days)
  'sectors_increased7', // 1 when sectors rose within the last 7 days, else 0
  'temperature_c', // SMART 194 low 16 bits, or NVMe temperature; 30 when not reported
  'power_on_years', // SMART 9 or NVMe power_on_hours / 8766; 0 when not reported
  'history_days', // min(days observed including today, 7) / 7: how much history the deltas saw
  'log_other_errors', // log1p(187 + 188 + 199)
  'log_other_errors_delta7', // log1p(increase of 187 + 188 + 199 over 7 days)
  'nvme_critical_warning', // 1 when NVMe critical_warning != 0, else 0
  'nvme_percentage_used', // NVMe percentage_used / 100; 0 when not reported
  'vendor_seagate', // 1 when vendorOf(model) is seagate
  'vendor_hgst', // 1 when hitachi / hgst
  'vendor_wdc', // 1 when western digital
  // disk-features/2: a dying disk often stops updating its counters (the host still returns the last SMART page).
  'power_on_stalled_days', // consecutive observations up to today (max 7) whose power-on hours did not rise; 0 when unknown
  'power_on_gain1', // power-on hours gained since the previous observation / 24, clamped to 0..3; 1 when unknown
  'read_error_rate_stalled_days', // consecutive observations (max 7) with the same non-zero SMART 1 raw; 0 when unknown
] as const;

/** K, the width of the feature vector. */
export const FEATURE_COUNT = FEATURE_NAMES.length;

const DEFAULT_TEMPERATURE_C = 30;

/**
 * Computes today's feature vector for one disk from its history and today's reading, then appends the reading to
 * the history. Call once per disk per day, in date order (history is per disk: see `createDiskHistory`).
 */
export function diskFeatures(history: DiskHistory, reading: SmartReading): Float32Array {
  const today = dayCounters(reading);
  const sectors = today.reallocated + today.pending;
  const delta = (n: number): number => {
    const past = countersAgo(history, n);
    return past ? Math.max(0, sectors - past.reallocated - past.pending) : 0;
  };
  const d1 = delta(1);
  const d3 = delta(3);
  const d7 = delta(7);
  const past7 = countersAgo(history, 7);
  const otherDelta7 = past7 ? Math.max(0, today.otherErrors - past7.otherErrors) : 0;
  // Any single-day rise in the window, even if the total later fell back (pending sectors get remapped).
  let increased7 = d1 > 0;
  for (let i = 1; i < history.past.length && !increased7; i++) {
    const a = history.past[i - 1]!;
    const b = history.past[i]!;
    increased7 = b.reallocated + b.pending > a.reallocated + a.pending;
  }
  const maxPending = Math.max(history.maxPending, today.pending);
  const temperature = today.temperature ?? DEFAULT_TEMPERATURE_C;
  const hours = today.powerOnHours ?? 0;
  const vendor = vendorOf(reading.model);
  const hoursStalled = stalledDays(
    history.past,
    today,
    (c) => c.powerOnHours,
    (now, prev) => now <= prev,
  );
  const rateStalled = stalledDays(
    history.past,
    today,
    (c) => c.readErrorRate,
    (now, prev) => now !== 0 && now === prev,
  );
  const prev = countersAgo(history, 1);
  const gain1 =
    prev?.powerOnHours !== undefined && today.powerOnHours !== undefined ? today.powerOnHours - prev.powerOnHours : 24;

  pushDay(history, today);
  const f = new Float32Array(FEATURE_COUNT);
  f[0] = Math.log1p(today.reallocated);
  f[1] = Math.log1p(today.pending);
  f[2] = Math.log1p(maxPending);
  f[3] = Math.log1p(d1);
  f[4] = Math.log1p(d3);
  f[5] = Math.log1p(d7);
  f[6] = increased7 ? 1 : 0;
  f[7] = temperature;
  f[8] = Math.max(0, hours) / 8766;
  f[9] = Math.min(history.daysObserved, 7) / 7;
  f[10] = Math.log1p(today.otherErrors);
  f[11] = Math.log1p(otherDelta7);
  f[12] = (reading.critical_warning ?? 0) !== 0 ? 1 : 0;
  f[13] = Math.max(0, reading.percentage_used ?? 0) / 100;
  f[14] = vendor === 'seagate' ? 1 : 0;
  f[15] = vendor === 'hgst' ? 1 : 0;
  f[16] = vendor === 'wdc' ? 1 : 0;
  f[17] = hoursStalled;
  f[18] = Math.min(3, Math.max(0, gain1 / 24));
  f[19] = rateStalled;
  return f;
}

/**
 * Consecutive observations ending today (at most HISTORY_DAYS) for which `stalled(value, previous value)` holds;
 * stops at the first pair where either value is unknown (histories saved before disk-features/2 have none).
 */
function stalledDays(
  past: readonly DayCounters[],
  today: DayCounters,
  get: (c: DayCounters) => number | undefined,
  stalled: (now: number, prev: number) => boolean,
): number {
  let n = 0;
  let now = get(today);
  for (let i = past.length - 1; i >= 0 && now !== undefined; i--) {
    const prev = get(past[i]!);
    if (prev === undefined || !stalled(now, prev)) break;
    n++;
    now = prev;
  }
  return n;
}

export { createDiskHistory, type DiskHistory } from './history.ts';
export type { SmartReading } from './smart-reading.ts';
