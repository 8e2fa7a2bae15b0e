/**
 * NAB dataset reader (I/O shell): data/<category>/<file>.csv (timestamp,value), labels/combined_windows.json,
 * and a detector's published results/<detector>/<category>/<detector>_<file>.csv (anomaly_score column).
 * Windows are converted from timestamps to inclusive row-index ranges.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { WindowIdx } from './sweep.ts';

/** One NAB data file with its windows. */
export interface NabFile {
  name: string;
  timestamps: number[];
  values: Float64Array;
  windows: WindowIdx[];
}

/** NAB dataset directory: env HOMEOSTAT_NAB_DIR, else ../shared/datasets/nab relative to the repo root. */
export function defaultNabDir(): string {
  return (
    process.env.HOMEOSTAT_NAB_DIR ?? resolve(new URL('../../', import.meta.url).pathname, '../shared/datasets/nab')
  );
}

/** True when `dir` looks like a NAB checkout (labels + data present). */
export function hasNab(dir: string): boolean {
  return existsSync(join(dir, 'labels', 'combined_windows.json')) && existsSync(join(dir, 'data'));
}

/** Parses NAB timestamps ('YYYY-MM-DD HH:MM:SS[.ffffff]') to epoch ms (UTC; only ordering/equality matter). */
export function parseNabTime(s: string): number {
  const t = Date.parse(s.trim().slice(0, 19).replace(' ', 'T') + 'Z');
  if (Number.isNaN(t)) throw new Error(`NAB timestamp '${s}' is not 'YYYY-MM-DD HH:MM:SS'`);
  return t;
}

/** Reads a CSV with a header; returns the header and the rows' cells. */
export function readCsv(path: string): { header: string[]; rows: string[][] } {
  const lines = readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.length > 0);
  return { header: lines[0]!.split(','), rows: lines.slice(1).map((l) => l.split(',')) };
}

/** Maps [startTs, endTs] windows onto inclusive row ranges of `timestamps`. */
export function windowsToIndices(
  timestamps: readonly number[],
  windows: readonly (readonly [string, string])[],
): WindowIdx[] {
  return windows.map(([a, b]) => {
    const ta = parseNabTime(a);
    const tb = parseNabTime(b);
    const lo = timestamps.findIndex((t) => t >= ta);
    let hi = -1;
    for (let i = timestamps.length - 1; i >= 0; i--)
      if (timestamps[i]! <= tb) {
        hi = i;
        break;
      }
    return [lo, hi] as const;
  });
}

/** Loads every data file listed in labels/combined_windows.json (58 in NAB v1.1), sorted by name. */
export function loadNab(dir: string): NabFile[] {
  const labels = JSON.parse(readFileSync(join(dir, 'labels', 'combined_windows.json'), 'utf8')) as Record<
    string,
    [string, string][]
  >;
  return Object.keys(labels)
    .sort()
    .map((name) => {
      const { rows } = readCsv(join(dir, 'data', name));
      const timestamps = rows.map((r) => parseNabTime(r[0]!));
      const values = Float64Array.from(rows, (r) => Number(r[1]));
      return { name, timestamps, values, windows: windowsToIndices(timestamps, labels[name]!) };
    });
}

/** Reads a published detector's anomaly_score column for data file `name` (e.g. 'realKnownCause/nyc_taxi.csv'). */
export function loadPublishedScores(dir: string, detector: string, name: string): Float64Array {
  const [cat, file] = name.split('/');
  const { header, rows } = readCsv(join(dir, 'results', detector, cat!, `${detector}_${file}`));
  const col = header.indexOf('anomaly_score');
  if (col < 0) throw new Error(`results/${detector}/${name}: no anomaly_score column`);
  return Float64Array.from(rows, (r) => Number(r[col]));
}
