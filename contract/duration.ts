/**
 * The one duration parser of Homeostat, shared by the policy language, the heal config, the control-plane config and
 * the API: `500ms`, `30s`, `15m`, `24h`, `14d`, `2w`, or a bare number.
 *
 * A bare number (`30000` or the string `"30000"`) is MILLISECONDS everywhere. Milliseconds are the unit every parsed
 * duration is stored in, so a parsed value parses to itself again; the control-plane config, its HTTP API and
 * programmatic options have always read bare numbers as milliseconds (docs/configuration.md, docs/policies.md).
 */
import { z } from 'zod';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/;

/** Milliseconds of a duration string or number; null when malformed or negative. */
export function parseDuration(value: string | number): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : null;
  const m = DURATION.exec(value);
  if (!m) return null;
  return Math.round(Number(m[1]) * UNITS[m[2] ?? 'ms']!);
}

/** Zod: a duration (a string with a unit, or a bare number of milliseconds) → milliseconds. */
export const durationMs = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === null) {
    const message = `'${String(v)}' is not a duration; use e.g. 500ms, 30s, 5m, 1h, 2d (a bare number is milliseconds)`;
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  }
  return ms;
});
