/**
 * Units of the agent's feature names (read from their suffix: `cpu.user_pct` → %, `cpu.temp_package_c` → °C,
 * `disk.read_bytes_per_s` → B/s) and axis labels that carry them, scaled to a readable size (1.2 GB, 950 kB/s).
 */

/** A feature's unit: the symbol shown after a value, and whether values scale by 1000 (bytes). */
export type Unit = { symbol: string; bytes: boolean };

const SUFFIXES: [RegExp, Unit][] = [
  [/_bytes_per_s$/, { symbol: 'B/s', bytes: true }],
  [/_bytes$/, { symbol: 'B', bytes: true }],
  [/_pct$/, { symbol: '%', bytes: false }],
  [/_c$/, { symbol: '°C', bytes: false }],
  [/_ms$/, { symbol: 'ms', bytes: false }],
  [/_mhz$/, { symbol: 'MHz', bytes: false }],
  [/_per_s$/, { symbol: '/s', bytes: false }],
  [/_s$/, { symbol: 's', bytes: false }],
];

const NONE: Unit = { symbol: '', bytes: false };

/** The unit of a feature name (none when its suffix names no unit). */
export function unitOf(feature: string): Unit {
  return SUFFIXES.find(([re]) => re.test(feature))?.[1] ?? NONE;
}

const PREFIXES = ['', 'k', 'M', 'G', 'T', 'P'];

/** One axis value with its unit: `59.98 °C`, `1.2 GB`, `0.25`; never locale digit grouping. */
export function formatValue(v: number, unit: Unit, step = 0): string {
  if (!Number.isFinite(v)) return '';
  if (unit.bytes) {
    let i = 0;
    let x = v;
    while (Math.abs(x) >= 1000 && i < PREFIXES.length - 1) {
      x /= 1000;
      i++;
    }
    const digits = Math.abs(x) >= 100 || x === Math.trunc(x) ? 0 : 1;
    return `${x.toFixed(digits)} ${PREFIXES[i]}${unit.symbol}`;
  }
  // As many decimals as the tick step needs (0.25 → 2, 5 → 0), at most 3.
  const decimals =
    step > 0 ? ([0, 1, 2, 3].find((d) => Math.abs(step * 10 ** d - Math.round(step * 10 ** d)) < 1e-6) ?? 3) : 2;
  const text = v.toFixed(decimals);
  return unit.symbol ? `${text}${unit.symbol === '%' ? '' : ' '}${unit.symbol}` : text;
}

/** Width in CSS pixels an axis needs for its longest label (about 7 px per character at 12 px, plus tick and gap). */
export function axisWidth(labels: readonly string[]): number {
  const longest = labels.reduce((n, l) => Math.max(n, l.length), 0);
  return Math.max(40, Math.ceil(longest * 7 + 18));
}
