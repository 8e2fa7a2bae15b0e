/**
 * One day's SMART snapshot of one disk, as the caller (agent or CSV scorer) hands it to the disk model.
 *
 * - `attributes`: ATA SMART attribute id -> RAW value (not the normalized 1..253 value). An id that is absent means
 *   "not reported"; it is never read as 0 except where the feature schema says so. Ids the model uses:
 *   1 raw read error rate (vendor scale), 5 reallocated sectors, 9 power-on hours, 187 reported uncorrectable,
 *   188 command timeout, 194 temperature (Celsius, low 16 bits of the raw value are used), 197 current pending
 *   sectors, 198 offline uncorrectable, 199 UDMA CRC errors.
 * - `model`: the device model string; no feature uses it (disk-features/3 and later have no vendor or model identity).
 * - `normalized`: ATA SMART attribute id -> normalized value (the vendor's 1..253 health scale, higher is healthier),
 *   where the source has it (smartctl `value`, Backblaze `smart_N_normalized`). Only its fall from the disk's own
 *   best is used (vendor scales differ: 100, 200 or 253 as the best value).
 * - NVMe health-log fields (smartctl / `nvme smart-log` names): `media_errors`, `percentage_used`, `critical_warning`,
 *   plus `temperature` (Celsius) and `power_on_hours` for NVMe devices that have no ATA attributes.
 */
export interface SmartReading {
  /** Device model string as the disk reports it (smartctl `model_name`, Backblaze `model`); used for the vendor. */
  readonly model?: string;
  /** ATA SMART attribute id -> raw value; absent = not reported. */
  readonly attributes: Readonly<Record<number, number>>;
  /** ATA SMART attribute id -> normalized value; absent = not reported. */
  readonly normalized?: Readonly<Record<number, number>>;
  /** NVMe: unrecovered data-integrity errors (counter). */
  readonly media_errors?: number;
  /** NVMe: vendor estimate of life used, percent (may exceed 100). */
  readonly percentage_used?: number;
  /** NVMe: critical warning bit field (0 = none). */
  readonly critical_warning?: number;
  /** NVMe: composite temperature in Celsius. */
  readonly temperature?: number;
  /** NVMe: power-on hours. */
  readonly power_on_hours?: number;
}

/** SMART attribute ids with a meaning in the feature schema. */
export const SMART = {
  readErrorRate: 1,
  reallocated: 5,
  powerOnHours: 9,
  reportedUncorrectable: 187,
  commandTimeout: 188,
  temperature: 194,
  pending: 197,
  offlineUncorrectable: 198,
  udmaCrcErrors: 199,
} as const;

/**
 * Attributes whose normalized value falls as the disk degrades (not with age or use: 9 power-on hours, 12 power
 * cycles, 193 load cycles, 194 temperature and wear counters are left out).
 */
export const HEALTH_NORMALIZED_IDS = [1, 5, 7, 10, 184, 187, 188, 196, 197, 198] as const;

/** Raw value of attribute `id`, or undefined when the disk did not report it (or it is not a finite number). */
export function attr(reading: SmartReading, id: number): number | undefined {
  const v = reading.attributes[id];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
