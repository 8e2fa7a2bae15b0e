/**
 * Parser for recorded metric CSVs that ops backtest a model on: with or without a header row, an optional
 * timestamp column (ISO-8601 or epoch seconds/milliseconds), every other column a numeric feature. Empty cells and
 * `NaN`/`null` are missing values. Pure: works on lines, so the caller streams the file.
 */

/** The layout found in the first line(s). */
export type CsvLayout = { names: string[]; timestampColumn: number | null; hasHeader: boolean };

/** A malformed CSV row: `line` (1-based) and what was wrong. */
export class CsvFormatError extends Error {
  override name = 'CsvFormatError';
  constructor(
    public readonly line: number,
    public readonly column: string,
    detail: string,
  ) {
    super(`line ${line}, column '${column}': ${detail}`);
  }
}

const MISSING = new Set(['', 'nan', 'null', 'na', 'n/a']);

function isTimestamp(cell: string): boolean {
  return /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(cell.trim());
}

/** Splits one CSV line (double-quoted cells may hold commas). */
export function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"') {
      if (quoted && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else quoted = !quoted;
    } else if (c === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** Works out header, feature names and timestamp column from the first line. */
export function detectLayout(firstLine: string): CsvLayout {
  const cells = splitCsvLine(firstLine).map((c) => c.trim());
  const numericOrTime = cells.every(
    (c) => MISSING.has(c.toLowerCase()) || Number.isFinite(Number(c)) || isTimestamp(c),
  );
  if (!numericOrTime) {
    const tsIdx = cells.findIndex((c) => /^(timestamp|time|ts|date|datetime)$/i.test(c));
    return { names: cells.filter((_, i) => i !== tsIdx), timestampColumn: tsIdx >= 0 ? tsIdx : null, hasHeader: true };
  }
  const tsIdx = cells.findIndex((c) => isTimestamp(c));
  const names = cells.map((_, i) => `f${i}`).filter((_, i) => i !== tsIdx);
  return { names, timestampColumn: tsIdx >= 0 ? tsIdx : null, hasHeader: false };
}

/** Parses one data row into {timestamp, features}. @throws CsvFormatError naming the line and column. */
export function parseRow(
  layout: CsvLayout,
  line: string,
  lineNo: number,
): { timestamp: string | null; values: (number | null)[] } {
  const cells = splitCsvLine(line);
  const expected = layout.names.length + (layout.timestampColumn === null ? 0 : 1);
  if (cells.length !== expected)
    throw new CsvFormatError(lineNo, '*', `has ${cells.length} cells, the header has ${expected}`);
  const values: (number | null)[] = [];
  let timestamp: string | null = null;
  let f = 0;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i]!.trim();
    if (i === layout.timestampColumn) {
      timestamp = cell;
      continue;
    }
    const name = layout.names[f++]!;
    if (MISSING.has(cell.toLowerCase())) {
      values.push(null);
      continue;
    }
    const v = Number(cell);
    if (!Number.isFinite(v))
      throw new CsvFormatError(
        lineNo,
        name,
        `'${cell}' is not a number (allowed: a number, or empty/NaN/null for missing)`,
      );
    values.push(v);
  }
  return { timestamp, values };
}

/** Timestamp cell → ms since the epoch: ISO-8601 (UTC when no zone is given) or epoch seconds / milliseconds. */
export function parseTimestamp(cell: string): number | undefined {
  const t = cell.trim();
  if (/^\d+(\.\d+)?$/.test(t)) {
    const n = Number(t);
    return n > 1e11 ? n : n * 1000;
  }
  const iso = t.replace(' ', 'T');
  const ms = Date.parse(/(Z|[+-]\d{2}:?\d{2})$/.test(iso) || iso.length <= 10 ? iso : `${iso}Z`);
  return Number.isFinite(ms) ? ms : undefined;
}
