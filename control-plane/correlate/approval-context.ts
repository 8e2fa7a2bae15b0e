/**
 * Context of a policy guard's approval request: which policy asked and its condition in words, read from the policy
 * set the host has applied (the agent's request names the policy only). The condition is shown as written in the
 * set (`service: nginx, for: 30s`); null when the host runs no fleet set or the set has no such policy.
 */
import { parse as parseYaml } from 'yaml';
import type { PolicyRepository } from '../repositories/policy-repository.ts';

const MAX = 500;

/** A condition as written, in one line: `{ service: nginx, for: 30s }` → `service: nginx, for: 30s`. */
export function conditionInWords(when: unknown): string {
  const words = (v: unknown, top: boolean): string => {
    if (Array.isArray(v)) return `[${v.map((x) => words(x, false)).join(', ')}]`;
    if (v !== null && typeof v === 'object') {
      const inner = Object.entries(v as Record<string, unknown>)
        .map(([k, x]) => `${k}: ${words(x, false)}`)
        .join(', ');
      return top ? inner : `{ ${inner} }`;
    }
    return String(v);
  };
  const s = words(when, true);
  return s.length > MAX ? `${s.slice(0, MAX - 1)}…` : s;
}

/** The condition of `policy` in the applied set `appliedVersion` (`<set>@<n>`), or null. */
export async function policyCondition(
  policies: Pick<PolicyRepository, 'versionById'>,
  appliedVersion: string | null,
  policy: string,
): Promise<string | null> {
  if (!appliedVersion) return null;
  const v = await policies.versionById(appliedVersion);
  if (!v) return null;
  // The source keeps the keys in the order the author wrote them (the stored document is canonical: sorted).
  let doc: unknown = v.document;
  try {
    doc = v.format === 'json' ? JSON.parse(v.source) : parseYaml(v.source);
  } catch {
    /* the stored document is the fallback */
  }
  const list = (doc as { policies?: unknown } | null)?.policies;
  if (!Array.isArray(list)) return null;
  const p = list.find((x) => (x as { name?: unknown } | null)?.name === policy) as { when?: unknown } | undefined;
  return p?.when === undefined ? null : conditionInWords(p.when);
}
