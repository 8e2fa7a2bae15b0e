/**
 * Policy sets and their immutable versions. Every create/edit validates the document with the agent's shared schema
 * (agent/heal/policy/schema.ts) and appends a version with author, time and the structural diff vs the previous one.
 */
import { ConflictError, NotFoundError, ValidationError } from '../../contract/errors.ts';
import { parse as parseYaml } from 'yaml';
import { parsePolicyDocument } from '../../contract/policy/schema.ts';
import { canonicalJson } from '../../contract/signing/canonical-json.ts';
import type { FleetContext } from './context.ts';
import { diffDocuments, type DiffEntry } from './policy-diff.ts';

/** One stored version. `id` = `<set>@<n>` is also the bundle version agents report. */
export interface PolicyVersionView {
  id: string;
  policySet: string;
  version: number;
  document: Record<string, unknown>;
  source: string;
  format: 'yaml' | 'json';
  author: string;
  /** Same as author (the web UI's name). */
  createdBy: string;
  comment: string | null;
  diff: DiffEntry[];
  createdAt: string;
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Creates the policy store. */
export function createPolicyStore(ctx: FleetContext) {
  const view = (r: { id: string; policySetId: string; version: number; document: unknown; source: string; format: string; author: string; comment: string | null; diff: unknown; createdAt: Date }): PolicyVersionView => ({
    id: r.id, policySet: r.policySetId, version: r.version, document: r.document as Record<string, unknown>, source: r.source,
    format: r.format as 'yaml' | 'json', author: r.author, createdBy: r.author, comment: r.comment, diff: r.diff as DiffEntry[], createdAt: r.createdAt.toISOString(),
  });
  // Validate with the agent's schema, but store the document as written (decoded, not normalised): agents re-parse
  // it with the same schema, and normalised forms (durations in ms, compiled conditions) are not valid input.
  const parse = (source: string, format: 'yaml' | 'json') => {
    parsePolicyDocument(source, format);
    const raw = (format === 'json' ? JSON.parse(source) : parseYaml(source)) as Record<string, unknown>;
    const { version: _ignored, ...doc } = raw;
    return JSON.parse(canonicalJson(doc)) as Record<string, unknown>;
  };
  const store = {
    async create(name: string, source: string, format: 'yaml' | 'json', author: string, comment?: string): Promise<PolicyVersionView> {
      if (!NAME.test(name)) throw new ValidationError([{ path: 'name', message: `'${name}' must be lowercase letters, digits and . _ - (max 64)` }], 'policy set');
      const document = parse(source, format);
      if (await ctx.db.policySet.findUnique({ where: { id: name } })) throw new ConflictError(`policy set '${name}' exists; PUT a new version instead`, 'exists');
      const at = new Date(ctx.now());
      const row = await ctx.db.$transaction(async (tx) => {
        await tx.policySet.create({ data: { id: name, latestVersion: 1, createdAt: at, createdBy: author } });
        return tx.policyVersion.create({ data: { id: `${name}@1`, policySetId: name, version: 1, document: document as object, source, format, author, comment: comment ?? null, diff: diffDocuments(null, document) as object[], createdAt: at } });
      });
      await ctx.audit.record({ actor: `user:${author}`, actorType: 'user', action: 'policy.created', target: row.id, detail: {} });
      return view(row);
    },
    async update(name: string, source: string, format: 'yaml' | 'json', author: string, comment?: string): Promise<PolicyVersionView> {
      const document = parse(source, format);
      const set = await ctx.db.policySet.findUnique({ where: { id: name } });
      if (!set) throw new NotFoundError('policy set', name);
      const prev = await ctx.db.policyVersion.findUnique({ where: { policySetId_version: { policySetId: name, version: set.latestVersion } } });
      const diff = diffDocuments(prev?.document ?? null, document);
      if (diff.length === 0) throw new ConflictError(`policy set '${name}' is unchanged from version ${set.latestVersion}`, 'unchanged');
      const n = set.latestVersion + 1;
      const at = new Date(ctx.now());
      const row = await ctx.db.$transaction(async (tx) => {
        // Optimistic: two concurrent edits cannot both become version n.
        const bumped = await tx.policySet.updateMany({ where: { id: name, latestVersion: set.latestVersion }, data: { latestVersion: n } });
        if (bumped.count !== 1) throw new ConflictError(`policy set '${name}' changed concurrently; retry`, 'stale-version');
        return tx.policyVersion.create({ data: { id: `${name}@${n}`, policySetId: name, version: n, document: document as object, source, format, author, comment: comment ?? null, diff: diff as object[], createdAt: at } });
      });
      await ctx.audit.record({ actor: `user:${author}`, actorType: 'user', action: 'policy.edited', target: row.id, detail: { changes: diff.length } });
      return view(row);
    },
    async list() {
      const sets = await ctx.db.policySet.findMany({ orderBy: { id: 'asc' } });
      return sets.map((s) => ({ id: s.id, name: s.id, latestVersion: s.latestVersion, createdAt: s.createdAt.toISOString(), createdBy: s.createdBy }));
    },
    async versions(name: string): Promise<PolicyVersionView[]> {
      if (!(await ctx.db.policySet.findUnique({ where: { id: name } }))) throw new NotFoundError('policy set', name);
      return (await ctx.db.policyVersion.findMany({ where: { policySetId: name }, orderBy: { version: 'desc' } })).map(view);
    },
    async version(name: string, version?: number): Promise<PolicyVersionView> {
      const set = await ctx.db.policySet.findUnique({ where: { id: name } });
      if (!set) throw new NotFoundError('policy set', name);
      const n = version ?? set.latestVersion;
      const row = await ctx.db.policyVersion.findUnique({ where: { policySetId_version: { policySetId: name, version: n } } });
      if (!row) throw new NotFoundError('policy version', `${name}@${n}`);
      return view(row);
    },
    async byId(id: string): Promise<PolicyVersionView | null> {
      const row = await ctx.db.policyVersion.findUnique({ where: { id } });
      return row ? view(row) : null;
    },
  };
  return store;
}
export type PolicyStore = ReturnType<typeof createPolicyStore>;
