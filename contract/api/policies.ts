/** Policy sets and their versions as the HTTP API returns them (`/api/policies…`). */
import { z } from 'zod';
import { IsoTime } from './common.ts';

/** A policy set: its name (= id) and newest version number. */
export const PolicySummary = z.object({
  id: z.string(),
  name: z.string(),
  latestVersion: z.number().int().positive(),
  createdAt: IsoTime,
  createdBy: z.string(),
  /** The version live on the hosts: that of the newest completed rollout (null: never published, or no policy). */
  publishedVersion: z.number().int().positive().nullable(),
  /** The version of a rollout still in progress, or null. */
  rollingOutVersion: z.number().int().positive().nullable(),
});
export type PolicySummary = z.infer<typeof PolicySummary>;

/** `GET /api/policies`. */
export const PolicyList = z.object({ policies: z.array(PolicySummary) });
export type PolicyList = z.infer<typeof PolicyList>;

/** One change of a version against the previous one. */
export const DiffEntry = z.object({
  path: z.string(),
  op: z.enum(['added', 'removed', 'changed']),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
});
export type DiffEntry = z.infer<typeof DiffEntry>;

/** One immutable version; `id` = `<set>@<n>` is also the bundle version agents report. */
export const PolicyVersion = z.object({
  id: z.string(),
  policySet: z.string(),
  version: z.number().int().positive(),
  document: z.record(z.string(), z.unknown()),
  source: z.string(),
  format: z.enum(['yaml', 'json']),
  author: z.string(),
  /** Same as author. */
  createdBy: z.string(),
  comment: z.string().nullable(),
  diff: z.array(DiffEntry),
  createdAt: IsoTime,
});
export type PolicyVersion = z.infer<typeof PolicyVersion>;

/** `GET /api/policies/:id/versions` (newest first). */
export const PolicyVersionList = z.object({ versions: z.array(PolicyVersion) });
export type PolicyVersionList = z.infer<typeof PolicyVersionList>;

/** `POST /api/policies/:id/dry-run`: ids of the hosts the selector targets now. */
export const DryRun = z.object({
  hosts: z.array(z.string()),
  /** Matching hosts a publish would skip because they are cordoned (docs/fleet.md "Cordoned hosts"). */
  cordoned: z.array(z.string()),
});
export type DryRun = z.infer<typeof DryRun>;
