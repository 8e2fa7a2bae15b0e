/** Pure parser of recorded traces: CSV with a header, a timestamp column and numeric columns. */

export interface Trace {
  columns: string[];
  rows: { ts: number; values: (number | null)[] }[];
}

/** Parses a timestamp cell: epoch seconds, epoch milliseconds, or an ISO-like date ("2014-04-01 00:00:00" = UTC). */
export function parseTimestamp(cell: string): number {
  const s = cell.trim().replace(/^"|"$/g, '');
  if (/^\d+(\.\d+)?$/.test(s)) {
    const n = Number(s);
    return n < 1e11 ? Math.round(n * 1000) : Math.round(n);
  }
  const iso = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s) ? `${s.replace(' ', 'T')}Z` : s;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new Error(`unparsable timestamp '${s}'`);
  return t;
}

/**
 * Parses CSV text. `timestampColumn` defaults to 'timestamp' (or the first column); empty cells, 'null' and 'NaN'
 * become null. Rows are sorted by time.
 */
export function parseTraceCsv(text: string, timestampColumn = 'timestamp'): Trace {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#'));
  const header = (lines.shift() ?? '').split(',').map((h) => h.trim().replace(/^"|"$/g, ''));
  const tsIdx = Math.max(0, header.indexOf(timestampColumn));
  const columns = header.filter((_, i) => i !== tsIdx);
  const rows = lines.map((line, n) => {
    const cells = line.split(',');
    if (cells.length !== header.length)
      throw new Error(`line ${n + 2}: ${cells.length} cells, header has ${header.length}`);
    const values = cells
      .filter((_, i) => i !== tsIdx)
      .map((c) => {
        const t = c.trim();
        if (t === '' || t === 'null' || t === 'NaN') return null;
        const x = Number(t);
        return Number.isFinite(x) ? x : null;
      });
    return { ts: parseTimestamp(cells[tsIdx]!), values };
  });
  rows.sort((a, b) => a.ts - b.ts);
  return { columns, rows };
}
