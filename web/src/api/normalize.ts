/** Defensive readers turning API JSON into the UI's types (dates may arrive as ISO strings or epoch numbers). */
type Obj = Record<string, unknown>;

export function obj(v: unknown): Obj {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {};
}
export function str(v: unknown, fallback = ''): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? String(v) : fallback;
}
export function strOrNull(v: unknown): string | null {
  return v === null || v === undefined || v === '' ? null : str(v);
}
export function num(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}
/** Epoch milliseconds from a number, numeric string or ISO date string. */
export function time(v: unknown): number | null {
  const n = num(v);
  if (n !== null) return n;
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isNaN(t) ? null : t;
  }
  return null;
}
export function list(v: unknown, ...keys: string[]): unknown[] {
  if (Array.isArray(v)) return v;
  const o = obj(v);
  for (const k of [...keys, 'items', 'data', 'results']) if (Array.isArray(o[k])) return o[k] as unknown[];
  return [];
}
export function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : str(obj(x).id ?? obj(x).hostId ?? x))) : [];
}
export function record(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(obj(v))) out[k] = str(x);
  return out;
}
export function numbers(v: unknown): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [k, x] of Object.entries(obj(v))) out[k] = num(x);
  return out;
}
