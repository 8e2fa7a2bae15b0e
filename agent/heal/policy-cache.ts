/**
 * The last-known-good policy set on disk: the document as received (text + format), re-validated AND re-linted on
 * load (an older agent may have cached a set this one refuses, e.g. a catastrophic regex), so the agent keeps
 * healing with no control plane, also after a restart, but never resumes a set it would not accept today.
 */
import type { PolicySet } from '../../contract/policy/schema.ts';
import { checkPolicyDocument } from './policy-document.ts';
import { readJson, writeJsonAtomic } from './state-store.ts';

export interface CachedPolicyDocument {
  text: string;
  format: 'yaml' | 'json';
  appliedAt: number;
}

/** Loads and validates the cached set; null when there is none, `error` when it no longer validates. */
export function loadPolicyCache(
  path: string,
): { set: PolicySet; doc: CachedPolicyDocument } | { error: string } | null {
  const raw = readJson(path) as CachedPolicyDocument | null;
  if (raw === null) return null;
  if (typeof raw.text !== 'string' || (raw.format !== 'yaml' && raw.format !== 'json'))
    return { error: `policy cache '${path}' is malformed` };
  try {
    return { set: checkPolicyDocument(raw.text, raw.format), doc: raw };
  } catch (e) {
    return { error: `cached policy set is unusable: ${(e as Error).message}` };
  }
}

export function savePolicyCache(path: string, doc: CachedPolicyDocument): void {
  writeJsonAtomic(path, doc);
}
