import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { SmartReading } from '../../contract/models/disk/smart-reading.ts';

/** One row of a Backblaze drive-stats daily CSV. */
export interface BackblazeRow {
  /** ISO date `YYYY-MM-DD`. */
  readonly date: string;
  readonly serial: string;
  readonly model: string;
  /** 1 only on a failed drive's last day. 0 when the column is absent. */
  readonly failure: 0 | 1;
  readonly reading: SmartReading;
}

/** A malformed Backblaze CSV: names the field (column) and 1-based line. */
export class BackblazeCsvError extends Error {
  constructor(
    readonly field: string,
    readonly line: number,
    message: string,
  ) {
    super(`backblaze csv line ${line}, field ${field}: ${message}`);
    this.name = 'BackblazeCsvError';
  }
}

/** Column positions of a parsed header. */
export interface BackblazeHeader {
  readonly date: number;
  readonly serial: number;
  readonly model: number;
  /** -1 when the file has no `failure` column (e.g. live data to score). */
  readonly failure: number;
  /** [column index, SMART attribute id] for every `smart_N_raw` column. */
  readonly smart: ReadonlyArray<readonly [number, number]>;
  /** [column index, SMART attribute id] for every `smart_N_normalized` column. */
  readonly normalized: ReadonlyArray<readonly [number, number]>;
  /** NVMe health-log columns (`media_errors`, `percentage_used`, `critical_warning`) when present. */
  readonly nvme: ReadonlyArray<readonly [number, 'media_errors' | 'percentage_used' | 'critical_warning']>;
}

const NVME_COLUMNS = ['media_errors', 'percentage_used', 'critical_warning'] as const;

/** Parses the header line; `date`, `serial_number` and `model` are required, any subset of `smart_N_raw` and `smart_N_normalized`. */
export function parseBackblazeHeader(line: string): BackblazeHeader {
  const cols = line
    .trim()
    .split(',')
    .map((c) => c.trim());
  const need = (name: string): number => {
    const i = cols.indexOf(name);
    if (i < 0) throw new BackblazeCsvError(name, 1, `required column "${name}" missing from header`);
    return i;
  };
  const smart: Array<readonly [number, number]> = [];
  const normalized: Array<readonly [number, number]> = [];
  const nvme: Array<readonly [number, (typeof NVME_COLUMNS)[number]]> = [];
  cols.forEach((c, i) => {
    const m = /^smart_(\d+)_raw$/.exec(c);
    if (m) smart.push([i, Number(m[1])]);
    const nm = /^smart_(\d+)_normalized$/.exec(c);
    if (nm) normalized.push([i, Number(nm[1])]);
    const n = NVME_COLUMNS.find((x) => x === c);
    if (n) nvme.push([i, n]);
  });
  return {
    date: need('date'),
    serial: need('serial_number'),
    model: need('model'),
    failure: cols.indexOf('failure'),
    smart,
    normalized,
    nvme,
  };
}

/** Parses one data line (no quoting: Backblaze files have none). Empty SMART cells mean "not reported". */
export function parseBackblazeLine(h: BackblazeHeader, line: string, lineNo: number): BackblazeRow {
  const f = line.split(',');
  const date = f[h.date]?.trim() ?? '';
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date))
    throw new BackblazeCsvError('date', lineNo, `expected YYYY-MM-DD, got "${date}"`);
  const serial = f[h.serial]?.trim() ?? '';
  if (serial === '') throw new BackblazeCsvError('serial_number', lineNo, 'empty');
  const attributes: Record<number, number> = {};
  for (const [i, id] of h.smart) {
    const cell = f[i]?.trim();
    if (cell === undefined || cell === '') continue;
    const v = Number(cell);
    if (!Number.isFinite(v)) throw new BackblazeCsvError(`smart_${id}_raw`, lineNo, `not a number: "${cell}"`);
    attributes[id] = v;
  }
  const normalized: Record<number, number> = {};
  for (const [i, id] of h.normalized) {
    const cell = f[i]?.trim();
    if (cell === undefined || cell === '') continue;
    const v = Number(cell);
    if (!Number.isFinite(v)) throw new BackblazeCsvError(`smart_${id}_normalized`, lineNo, `not a number: "${cell}"`);
    normalized[id] = v;
  }
  const model = f[h.model]?.trim() ?? '';
  const reading: { -readonly [K in keyof SmartReading]: SmartReading[K] } = { attributes, model };
  if (h.normalized.length > 0) reading.normalized = normalized;
  for (const [i, name] of h.nvme) {
    const cell = f[i]?.trim();
    if (cell === undefined || cell === '') continue;
    const v = Number(cell);
    if (!Number.isFinite(v)) throw new BackblazeCsvError(name, lineNo, `not a number: "${cell}"`);
    reading[name] = v;
  }
  const fail = h.failure >= 0 ? (f[h.failure]?.trim() ?? '0') : '0';
  return { date, serial, model, failure: fail === '1' ? 1 : 0, reading };
}

/** Streams the rows of a Backblaze-format CSV file (header required), in file order; blank lines are skipped. */
export async function* readBackblazeCsv(path: string): AsyncGenerator<BackblazeRow> {
  const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let header: BackblazeHeader | undefined;
  let lineNo = 0;
  for await (const line of rl) {
    lineNo++;
    if (line.trim() === '') continue;
    if (!header) {
      header = parseBackblazeHeader(line);
      continue;
    }
    yield parseBackblazeLine(header, line, lineNo);
  }
}
