/**
 * Duration and size literals used in policies and the heal config: `30s`, `5m`, `1h`, `250ms`, `2d` and
 * `512`, `10KiB`, `1GiB`, `500MB`. Durations come from the one shared parser (contract/duration.ts: a bare number is
 * milliseconds); a bare size is bytes.
 */
import { z } from 'zod';
import { durationMs, parseDuration } from '../duration.ts';

export { durationMs, parseDuration };

const SIZE = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?$/;
const SIZE_BYTES: Record<string, number> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
};

/** Parses a size literal to bytes; null when malformed. */
export function parseBytes(v: string | number): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? Math.floor(v) : null;
  const m = SIZE.exec(v.trim());
  return m ? Math.floor(Number(m[1]) * SIZE_BYTES[m[2] ?? 'B']!) : null;
}

/** Zod: a size (`1GiB`, `500MB`, or bytes as a number) → bytes. */
export const bytes = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const b = parseBytes(v);
  if (b === null) {
    ctx.addIssue({ code: 'custom', message: `'${String(v)}' is not a size; use e.g. 4096, 10MiB, 1GB` });
    return z.NEVER;
  }
  return b;
});
