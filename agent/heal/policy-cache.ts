/**
 * The last-known-good policy set on disk: the document as received (text + format), re-validated on load,
 * so the agent keeps healing with no control plane, also after a restart.
 */
import { parsePolicyDocument, type PolicySet } from '../../contract/policy/schema.ts';
import { readJson, writeJsonAtomic } from './state-store.ts';

export interface CachedPolicyDocument { text: string; format: 'yaml' | 'json'; appliedAt: number }

/** Loads and validates the cached set; null when there is none, `error` when it no longer validates. */
export function loadPolicyCache(path: string): { set: PolicySet; doc: CachedPolicyDocument } | { error: string } | null {
  const raw = readJson(path) as CachedPolicyDocument | null;
  if (raw === null) return null;
  if (typeof raw.text !== 'string' || (raw.format !== 'yaml' && raw.format !== 'json')) return { error: `policy cache '${path}' is malformed` };
  try {
    return { set: parsePolicyDocument(raw.text, raw.format), doc: raw };
  } catch (e) {
    return { error: `cached policy set no longer validates: ${(e as Error).message}` };
  }
}

export function savePolicyCache(path: string, doc: CachedPolicyDocument): void {
  writeJsonAtomic(path, doc);
}
