/**
 * Structural diff between two JSON documents (policy versions): every changed leaf as `{ path, op, before, after }`,
 * paths dotted with `[i]` for array items, sorted by path. Arrays are compared index by index.
 */

/** One difference. */
export interface DiffEntry {
  path: string;
  op: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

/** Returns the differences from `before` to `after` (empty when equal). `before` null = every leaf added. */
export function diffDocuments(before: unknown, after: unknown): DiffEntry[] {
  const out: DiffEntry[] = [];
  walk(before ?? {}, after, '', out);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function walk(a: unknown, b: unknown, path: string, out: DiffEntry[]): void {
  if (a === undefined && b === undefined) return;
  if (a === undefined) {
    out.push({ path, op: 'added', after: b });
    return;
  }
  if (b === undefined) {
    out.push({ path, op: 'removed', before: a });
    return;
  }
  if (isObj(a) && isObj(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[k], b[k], path ? `${path}.${k}` : k, out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) walk(a[i], b[i], `${path}[${i}]`, out);
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path, op: 'changed', before: a, after: b });
}

/** One line per entry, e.g. `~ rules[0].maxRestarts: 3 → 5`. */
export function formatDiff(entries: readonly DiffEntry[]): string {
  return entries
    .map((e) =>
      e.op === 'added'
        ? `+ ${e.path}: ${JSON.stringify(e.after)}`
        : e.op === 'removed'
          ? `- ${e.path}: ${JSON.stringify(e.before)}`
          : `~ ${e.path}: ${JSON.stringify(e.before)} → ${JSON.stringify(e.after)}`,
    )
    .join('\n');
}
