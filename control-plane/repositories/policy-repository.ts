/**
 * Policy sets and their immutable versions. The stored document is validated with the contract's policy language
 * (contract/policy/schema.ts) on read and returned as written; the diff is control-plane internal
 * (fleet/policy-diff.ts).
 */
import { z } from 'zod';
import type { DiffEntry } from '../fleet/policy-diff.ts';

/** One structural difference as stored with a version. */
export const DiffEntrySchema = z.object({
  path: z.string(),
  op: z.enum(['added', 'removed', 'changed']),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
});
const _diff: z.ZodType<DiffEntry> = DiffEntrySchema;
void _diff;

export interface PolicySetRecord {
  id: string;
  description: string | null;
  latestVersion: number;
  createdAt: Date;
  createdBy: string;
}

export interface PolicyVersionRecord {
  /** `<set>@<n>`: also the bundle version agents report. */
  id: string;
  policySetId: string;
  version: number;
  document: Record<string, unknown>;
  source: string;
  format: 'yaml' | 'json';
  author: string;
  comment: string | null;
  diff: DiffEntry[];
  createdAt: Date;
}

/** A version to append; id and number are derived (`<set>@<n>`). */
export type NewPolicyVersion = Omit<PolicyVersionRecord, 'id' | 'policySetId' | 'version'>;

export interface PolicyRepository {
  getSet(id: string): Promise<PolicySetRecord | null>;
  /** Every set, by id. */
  listSets(): Promise<PolicySetRecord[]>;
  /** Creates the set with version 1, atomically; ConflictError (reason 'exists') when the set exists. */
  createSet(id: string, first: NewPolicyVersion): Promise<PolicyVersionRecord>;
  /**
   * Appends version `expectedLatest + 1` if the set's latest is still `expectedLatest` (optimistic, atomic);
   * ConflictError (reason 'stale-version') otherwise, NotFoundError for an unknown set.
   */
  appendVersion(setId: string, expectedLatest: number, v: NewPolicyVersion): Promise<PolicyVersionRecord>;
  getVersion(setId: string, version: number): Promise<PolicyVersionRecord | null>;
  /** By `<set>@<n>`. */
  versionById(id: string): Promise<PolicyVersionRecord | null>;
  /** Newest first. */
  listVersions(setId: string): Promise<PolicyVersionRecord[]>;
}
