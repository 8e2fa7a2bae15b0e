import { SMART, attr, type SmartReading } from './smart-reading.ts';

/** How many past daily observations a history keeps (enough for a 7-day delta). */
export const HISTORY_DAYS = 7;

/** The per-day counters the features are built from, already reduced from a raw reading. */
export interface DayCounters {
  /** Reallocated sectors (SMART 5); 0 when not reported. */
  readonly reallocated: number;
  /** Pending/uncorrectable sectors: max(SMART 197, SMART 198), NVMe media_errors; 0 when none reported. */
  readonly pending: number;
  /** Sum of interface/command error counters 187 + 188 + 199 (0 when none reported). */
  readonly otherErrors: number;
  /**
   * Power-on hours (SMART 9, else NVMe power_on_hours); absent when not reported. Optional because histories saved
   * before `disk-features/2` lack it: features that need it then take their neutral value.
   */
  readonly powerOnHours?: number;
  /** SMART 1 raw value (vendor scale); absent when not reported (or in pre-v2 histories). */
  readonly readErrorRate?: number;
  /** Temperature in Celsius (SMART 194 low 16 bits, else NVMe temperature); absent when not reported. */
  readonly temperature?: number;
  /** Bit mask of the attribute groups the reading reported (see {@link presenceMask}); absent in pre-v3 histories. */
  readonly present?: number;
}

/**
 * Per-disk state the caller keeps between daily readings: the last {@link HISTORY_DAYS} day counters (oldest first),
 * the running maximum of the sector counters and the number of days observed, plus (disk-features/3, optional so
 * older saved histories still load) running sums over the whole history. Mutated by `diskFeatures`.
 */
export interface DiskHistory {
  past: DayCounters[];
  maxReallocated: number;
  maxPending: number;
  daysObserved: number;
  /** Consecutive-observation pairs with SMART 1 raw known on both days, and how many of them changed value. */
  readPairs?: number;
  readChanges?: number;
  /** Sum and count of the power-on hours gained between consecutive observations (see {@link dayGain}). */
  gainSum?: number;
  gainCount?: number;
  /** Sum and count of temperatures seen. */
  tempSum?: number;
  tempCount?: number;
  /** Highest normalized value seen per attribute id (normalized values fall as an attribute degrades). */
  maxNormalized?: Record<number, number>;
}

/** A fresh history for a disk seen for the first time. */
export function createDiskHistory(): DiskHistory {
  return { past: [], maxReallocated: 0, maxPending: 0, daysObserved: 0 };
}

/** Temperature of a reading in Celsius: SMART 194 low 16 bits, else the NVMe field; undefined when neither. */
export function temperatureOf(r: SmartReading): number | undefined {
  const t194 = attr(r, SMART.temperature);
  return t194 !== undefined ? t194 % 65536 : r.temperature;
}

/** Presence bits: which attribute groups a reading reports (the availability mask of the feature vector). */
export const PRESENT = {
  sectors: 1,
  errors: 2,
  powerOnHours: 4,
  temperature: 8,
  readErrorRate: 16,
  normalized: 32,
  nvme: 64,
} as const;

/** The availability mask of a reading (bits of {@link PRESENT}). */
export function presenceMask(r: SmartReading): number {
  const has = (id: number): boolean => attr(r, id) !== undefined;
  let m = 0;
  if (has(SMART.reallocated) || has(SMART.pending) || has(SMART.offlineUncorrectable) || r.media_errors !== undefined)
    m |= PRESENT.sectors;
  if (has(SMART.reportedUncorrectable) || has(SMART.commandTimeout) || has(SMART.udmaCrcErrors)) m |= PRESENT.errors;
  if ((attr(r, SMART.powerOnHours) ?? r.power_on_hours) !== undefined) m |= PRESENT.powerOnHours;
  if (temperatureOf(r) !== undefined) m |= PRESENT.temperature;
  if (has(SMART.readErrorRate)) m |= PRESENT.readErrorRate;
  if (r.normalized && Object.values(r.normalized).some((v) => Number.isFinite(v))) m |= PRESENT.normalized;
  if (r.media_errors !== undefined || r.percentage_used !== undefined || r.critical_warning !== undefined)
    m |= PRESENT.nvme;
  return m;
}

/** Reduces a raw reading to the counters the history tracks (negative raw values are clamped to 0). */
export function dayCounters(r: SmartReading): DayCounters {
  const nonNeg = (v: number | undefined): number => (v === undefined || v < 0 ? 0 : v);
  const pending = Math.max(
    nonNeg(attr(r, SMART.pending)),
    nonNeg(attr(r, SMART.offlineUncorrectable)),
    nonNeg(r.media_errors),
  );
  const otherErrors =
    nonNeg(attr(r, SMART.reportedUncorrectable)) +
    nonNeg(attr(r, SMART.commandTimeout)) +
    nonNeg(attr(r, SMART.udmaCrcErrors));
  const c: { -readonly [K in keyof DayCounters]: DayCounters[K] } = {
    reallocated: nonNeg(attr(r, SMART.reallocated)),
    pending,
    otherErrors,
    present: presenceMask(r),
  };
  const hours = attr(r, SMART.powerOnHours) ?? r.power_on_hours;
  if (hours !== undefined && Number.isFinite(hours)) c.powerOnHours = hours;
  const rate = attr(r, SMART.readErrorRate);
  if (rate !== undefined) c.readErrorRate = rate;
  const t = temperatureOf(r);
  if (t !== undefined && Number.isFinite(t)) c.temperature = t;
  return c;
}

/** Most power-on hours one observation may gain: a day's worth (the features are computed once a day). */
export const MAX_GAIN_HOURS = 24;

/**
 * Power-on hours gained from `prev` to `now`, at most {@link MAX_GAIN_HOURS}: observations days apart (a host that was
 * off, a gap in the data) would otherwise read as a disk running several times its usual hours, and inflate the mean
 * that later days are compared with. Undefined when either is unknown or the hours fell (a reset or a swapped serial).
 */
export function dayGain(prev: DayCounters, now: DayCounters): number | undefined {
  if (prev.powerOnHours === undefined || now.powerOnHours === undefined || now.powerOnHours < prev.powerOnHours)
    return undefined;
  return Math.min(MAX_GAIN_HOURS, now.powerOnHours - prev.powerOnHours);
}

/**
 * The counters `n` observations ago (n = 1..HISTORY_DAYS); the oldest kept one when fewer exist; undefined on the
 * first day (no history: deltas are 0 then).
 */
export function countersAgo(h: DiskHistory, n: number): DayCounters | undefined {
  if (h.past.length === 0) return undefined;
  return h.past[Math.max(0, h.past.length - n)];
}

/**
 * Appends today's counters (and normalized values), dropping the oldest beyond {@link HISTORY_DAYS}, and updates
 * maxima, running sums and the day count.
 */
export function pushDay(h: DiskHistory, c: DayCounters, normalized?: Readonly<Record<number, number>>): void {
  const prev = h.past.at(-1);
  if (prev?.readErrorRate !== undefined && c.readErrorRate !== undefined) {
    h.readPairs = (h.readPairs ?? 0) + 1;
    if (c.readErrorRate !== prev.readErrorRate) h.readChanges = (h.readChanges ?? 0) + 1;
  }
  const gain = prev ? dayGain(prev, c) : undefined;
  if (gain !== undefined) {
    h.gainSum = (h.gainSum ?? 0) + gain;
    h.gainCount = (h.gainCount ?? 0) + 1;
  }
  if (c.temperature !== undefined) {
    h.tempSum = (h.tempSum ?? 0) + c.temperature;
    h.tempCount = (h.tempCount ?? 0) + 1;
  }
  for (const [id, v] of Object.entries(normalized ?? {})) {
    if (!Number.isFinite(v)) continue;
    h.maxNormalized ??= {};
    h.maxNormalized[Number(id)] = Math.max(h.maxNormalized[Number(id)] ?? v, v);
  }
  h.past.push(c);
  if (h.past.length > HISTORY_DAYS) h.past.shift();
  h.maxReallocated = Math.max(h.maxReallocated, c.reallocated);
  h.maxPending = Math.max(h.maxPending, c.pending);
  h.daysObserved++;
}
