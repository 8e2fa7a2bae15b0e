import { readBackblazeCsv, type BackblazeRow } from './backblaze-csv.ts';
import { FEATURE_COUNT, diskFeatures } from '../../contract/models/disk/features.ts';
import { createDiskHistory, type DiskHistory } from '../../contract/models/disk/history.ts';
import { SMART, attr } from '../../contract/models/disk/smart-reading.ts';

/**
 * Backblaze history turned into one feature row per drive-day, each computed only from that drive's readings up to
 * and including that day (no look-ahead). Labels are derived from `failDay` by the trainer/evaluator.
 */
export interface DiskDataset {
  readonly serials: string[];
  readonly models: string[];
  /** Per drive: day number (days since 1970-01-01) of its failure=1 row, or -1 when it did not fail. */
  readonly failDay: Int32Array;
  /** Number of drive-day rows. */
  readonly n: number;
  /** Per row: drive index. */
  readonly drive: Int32Array;
  /** Per row: day number. */
  readonly day: Int32Array;
  /** Row-major [n, FEATURE_COUNT]. */
  readonly x: Float32Array;
  /** Per row: raw SMART 5 + SMART 197 (missing = 0), the baseline rule's input. */
  readonly baseline: Float64Array;
}

/** Day number (days since the Unix epoch, UTC) of an ISO `YYYY-MM-DD` date. */
export function dayNumber(date: string): number {
  return Math.round(Date.parse(`${date}T00:00:00Z`) / 86_400_000);
}

/** Growable typed-array builder (avoids a JS array of 500k+ small arrays). */
class Grow<T extends Int32Array | Float32Array | Float64Array> {
  len = 0;
  constructor(
    public buf: T,
    private readonly make: (n: number) => T,
  ) {}
  push(v: number): void {
    if (this.len === this.buf.length) {
      const b = this.make(this.buf.length * 2);
      b.set(this.buf);
      this.buf = b;
    }
    this.buf[this.len++] = v;
  }
  done(): T {
    return this.buf.subarray(0, this.len) as T;
  }
}

/** Builds a dataset from rows in date order (any order across drives within a day). */
export async function buildDataset(rows: AsyncIterable<BackblazeRow> | Iterable<BackblazeRow>): Promise<DiskDataset> {
  const index = new Map<string, number>();
  const histories: DiskHistory[] = [];
  const lastDay: number[] = [];
  const serials: string[] = [];
  const models: string[] = [];
  const fail: number[] = [];
  const drive = new Grow(new Int32Array(1 << 16), (n) => new Int32Array(n));
  const day = new Grow(new Int32Array(1 << 16), (n) => new Int32Array(n));
  const base = new Grow(new Float64Array(1 << 16), (n) => new Float64Array(n));
  const x = new Grow(new Float32Array(FEATURE_COUNT << 16), (n) => new Float32Array(n));
  for await (const r of rows) {
    let d = index.get(r.serial);
    if (d === undefined) {
      d = serials.length;
      index.set(r.serial, d);
      serials.push(r.serial);
      models.push(r.model);
      histories.push(createDiskHistory());
      lastDay.push(-Infinity);
      fail.push(-1);
    }
    const dn = dayNumber(r.date);
    // A repeated or out-of-order day would let a drive's history see its own future; skip it.
    if (dn <= lastDay[d]!) continue;
    lastDay[d] = dn;
    if (r.failure === 1) fail[d] = dn;
    const f = diskFeatures(histories[d]!, r.reading);
    for (let k = 0; k < FEATURE_COUNT; k++) x.push(f[k]!);
    drive.push(d);
    day.push(dn);
    base.push((attr(r.reading, SMART.reallocated) ?? 0) + (attr(r.reading, SMART.pending) ?? 0));
  }
  return {
    serials,
    models,
    failDay: Int32Array.from(fail),
    n: drive.len,
    drive: drive.done(),
    day: day.done(),
    x: x.done(),
    baseline: base.done(),
  };
}

/** Streams a Backblaze CSV file into a dataset. */
export function loadDataset(csvPath: string): Promise<DiskDataset> {
  return buildDataset(readBackblazeCsv(csvPath));
}
