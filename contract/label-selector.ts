/**
 * Label selectors (Kubernetes-style, text form) used by rollouts, silences, maintenance windows and the breaker:
 * comma-separated requirements, all of which must hold — `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`,
 * `k` (exists), `!k` (absent). The empty selector matches every host.
 */
import { ValidationError } from './errors.ts';

/** One parsed requirement. */
export type Requirement =
  | { key: string; op: 'eq' | 'ne'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'absent' };

/** Host labels: flat string map (inventory attributes are flattened to `inventory.<key>` by callers). */
export type Labels = Readonly<Record<string, string>>;

const KEY = /^[A-Za-z0-9][A-Za-z0-9_./-]{0,127}$/;

/** Parses a selector; throws ValidationError listing every bad requirement. */
export function parseSelector(text: string): Requirement[] {
  const parts = splitTop(text.trim());
  const out: Requirement[] = [];
  const issues: { path: string; message: string }[] = [];
  parts.forEach((raw, i) => {
    const p = raw.trim();
    let m: RegExpMatchArray | null;
    if ((m = p.match(/^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/))) {
      out.push({
        key: m[1]!,
        op: m[2] as 'in' | 'notin',
        values: m[3]!
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean),
      });
    } else if ((m = p.match(/^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/))) {
      out.push({ key: m[1]!, op: m[2] === '!=' ? 'ne' : 'eq', value: m[3]! });
    } else if ((m = p.match(/^!\s*(\S+)$/))) {
      out.push({ key: m[1]!, op: 'absent' });
    } else if ((m = p.match(/^(\S+)$/))) {
      out.push({ key: m[1]!, op: 'exists' });
    } else {
      issues.push({
        path: `selector[${i}]`,
        message: `cannot parse '${p}'; use k=v, k!=v, k in (a,b), k notin (a,b), k or !k`,
      });
      return;
    }
    const key = out[out.length - 1]!.key;
    if (!KEY.test(key)) issues.push({ path: `selector[${i}]`, message: `bad label key '${key}'` });
  });
  if (issues.length) throw new ValidationError(issues, 'label selector');
  return out;
}

/** True when `labels` satisfy every requirement. */
export function matchesSelector(selector: string | readonly Requirement[], labels: Labels): boolean {
  const reqs = typeof selector === 'string' ? parseSelector(selector) : selector;
  return reqs.every((r) => {
    const v = labels[r.key];
    switch (r.op) {
      case 'eq':
        return v === r.value;
      case 'ne':
        return v !== r.value;
      case 'in':
        return v !== undefined && r.values.includes(v);
      case 'notin':
        return v === undefined || !r.values.includes(v);
      case 'exists':
        return v !== undefined;
      case 'absent':
        return v === undefined;
      default:
        return false; // unreachable: Requirement['op'] is exhaustive above
    }
  });
}

/** Splits on commas that are not inside parentheses. */
function splitTop(text: string): string[] {
  if (text === '') return [];
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}
