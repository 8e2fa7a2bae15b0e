/**
 * Policy sets and their immutable versions. Every create/edit validates the document with the agent's shared schema
 * and lint (policy-source.ts) and appends a version with author, time and the structural diff vs the previous one.
 */
import { ConflictError, NotFoundError, ValidationError } from '../../contract/errors.ts';
import { admitPolicySource } from './policy-source.ts';
import type { FleetContext } from './context.ts';
import type { PolicyVersionRecord } from '../repositories/policy-repository.ts';
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
  const repo = ctx.repos.policies;
  const view = (r: PolicyVersionRecord): PolicyVersionView => ({
    id: r.id,
    policySet: r.policySetId,
    version: r.version,
    document: r.document,
    source: r.source,
    format: r.format,
    author: r.author,
    createdBy: r.author,
    comment: r.comment,
    diff: r.diff,
    createdAt: r.createdAt.toISOString(),
  });
  const store = {
    async create(
      name: string,
      source: string,
      format: 'yaml' | 'json',
      author: string,
      comment?: string,
    ): Promise<PolicyVersionView> {
      if (!NAME.test(name))
        throw new ValidationError(
          [{ path: 'name', message: `'${name}' must be lowercase letters, digits and . _ - (max 64)` }],
          'policy set',
        );
      const document = admitPolicySource(source, format);
      if (await repo.getSet(name))
        throw new ConflictError(`policy set '${name}' exists; PUT a new version instead`, 'exists');
      const at = new Date(ctx.now());
      const row = await repo.createSet(name, {
        document,
        source,
        format,
        author,
        comment: comment ?? null,
        diff: diffDocuments(null, document),
        createdAt: at,
      });
      await ctx.audit.record({
        actor: `user:${author}`,
        actorType: 'user',
        action: 'policy.created',
        target: row.id,
        detail: {},
      });
      return view(row);
    },
    async update(
      name: string,
      source: string,
      format: 'yaml' | 'json',
      author: string,
      comment?: string,
    ): Promise<PolicyVersionView> {
      const document = admitPolicySource(source, format);
      const set = await repo.getSet(name);
      if (!set) throw new NotFoundError('policy set', name);
      const prev = await repo.getVersion(name, set.latestVersion);
      const diff = diffDocuments(prev?.document ?? null, document);
      if (diff.length === 0)
        throw new ConflictError(`policy set '${name}' is unchanged from version ${set.latestVersion}`, 'unchanged');
      const at = new Date(ctx.now());
      // Optimistic: two concurrent edits cannot both become the next version (ConflictError 'stale-version').
      const row = await repo.appendVersion(name, set.latestVersion, {
        document,
        source,
        format,
        author,
        comment: comment ?? null,
        diff,
        createdAt: at,
      });
      await ctx.audit.record({
        actor: `user:${author}`,
        actorType: 'user',
        action: 'policy.edited',
        target: row.id,
        detail: { changes: diff.length },
      });
      return view(row);
    },
    async list() {
      const sets = await repo.listSets();
      return sets.map((s) => ({
        id: s.id,
        name: s.id,
        latestVersion: s.latestVersion,
        createdAt: s.createdAt.toISOString(),
        createdBy: s.createdBy,
      }));
    },
    async versions(name: string): Promise<PolicyVersionView[]> {
      if (!(await repo.getSet(name))) throw new NotFoundError('policy set', name);
      return (await repo.listVersions(name)).map(view);
    },
    async version(name: string, version?: number): Promise<PolicyVersionView> {
      const set = await repo.getSet(name);
      if (!set) throw new NotFoundError('policy set', name);
      const n = version ?? set.latestVersion;
      const row = await repo.getVersion(name, n);
      if (!row) throw new NotFoundError('policy version', `${name}@${n}`);
      return view(row);
    },
    /**
     * A version about to be published, checked again with today's schema and lint: a version saved before a check
     * was added (or tightened) is refused at publish with the same messages as at save, before any agent refuses it.
     */
    async publishable(name: string, version?: number): Promise<PolicyVersionView> {
      const v = await store.version(name, version);
      try {
        admitPolicySource(v.source, v.format);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        throw new ValidationError(err.issues, `${v.id} (saved before today's checks; save a fixed version)`);
      }
      return v;
    },
    async byId(id: string): Promise<PolicyVersionView | null> {
      const row = await repo.versionById(id);
      return row ? view(row) : null;
    },
  };
  return store;
}
export type PolicyStore = ReturnType<typeof createPolicyStore>;
