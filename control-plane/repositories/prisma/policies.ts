/** Prisma PolicyRepository (SQLite and PostgreSQL); set creation and version appends are transactions. */
import { z } from 'zod';
import { ConflictError, NotFoundError } from '../../../contract/errors.ts';
import { policySetSchema } from '../../../contract/policy/schema.ts';
import type { Db } from '../../db/database.ts';
import {
  DiffEntrySchema,
  type NewPolicyVersion,
  type PolicyRepository,
  type PolicyVersionRecord,
} from '../policy-repository.ts';
import { parseStored } from '../stored-json.ts';
import { isUniqueViolation } from './errors.ts';

type Row = Awaited<ReturnType<Db['policyVersion']['findUniqueOrThrow']>>;

const Document = z.record(z.string(), z.unknown());
const Diff = z.array(DiffEntrySchema);
const Format = z.enum(['yaml', 'json']);

function toRecord(r: Row): PolicyVersionRecord {
  const what = `policy version '${r.id}'`;
  const document = parseStored(Document, r.document, `${what} document`);
  // Validated with the agents' policy language, but returned as written: normalised forms are not valid input.
  parseStored(policySetSchema, document, `${what} document`);
  return {
    id: r.id,
    policySetId: r.policySetId,
    version: r.version,
    document,
    source: r.source,
    format: parseStored(Format, r.format, `${what} format`),
    author: r.author,
    comment: r.comment,
    diff: parseStored(Diff, r.diff, `${what} diff`),
    createdAt: r.createdAt,
  };
}

const data = (setId: string, n: number, v: NewPolicyVersion) => ({
  id: `${setId}@${n}`,
  policySetId: setId,
  version: n,
  document: v.document as object,
  source: v.source,
  format: v.format,
  author: v.author,
  comment: v.comment,
  diff: v.diff as object[],
  createdAt: v.createdAt,
});

/** Builds the repository over a client. */
export function prismaPolicyRepository(db: Db): PolicyRepository {
  return {
    getSet: (id) => db.policySet.findUnique({ where: { id } }),
    listSets: () => db.policySet.findMany({ orderBy: { id: 'asc' } }),
    async createSet(id, first) {
      try {
        return toRecord(
          await db.$transaction(async (tx) => {
            await tx.policySet.create({
              data: { id, latestVersion: 1, createdAt: first.createdAt, createdBy: first.author },
            });
            return tx.policyVersion.create({ data: data(id, 1, first) });
          }),
        );
      } catch (err) {
        if (isUniqueViolation(err))
          throw new ConflictError(`policy set '${id}' exists; PUT a new version instead`, 'exists');
        throw err;
      }
    },
    async appendVersion(setId, expected, v) {
      const n = expected + 1;
      const row = await db.$transaction(async (tx) => {
        // Optimistic: two concurrent edits cannot both become version n.
        const bumped = await tx.policySet.updateMany({
          where: { id: setId, latestVersion: expected },
          data: { latestVersion: n },
        });
        if (bumped.count !== 1) {
          if (!(await tx.policySet.findUnique({ where: { id: setId } }))) throw new NotFoundError('policy set', setId);
          throw new ConflictError(`policy set '${setId}' changed concurrently; retry`, 'stale-version');
        }
        return tx.policyVersion.create({ data: data(setId, n, v) });
      });
      return toRecord(row);
    },
    async getVersion(setId, version) {
      const r = await db.policyVersion.findUnique({ where: { policySetId_version: { policySetId: setId, version } } });
      return r ? toRecord(r) : null;
    },
    async versionById(id) {
      const r = await db.policyVersion.findUnique({ where: { id } });
      return r ? toRecord(r) : null;
    },
    async listVersions(setId) {
      return (await db.policyVersion.findMany({ where: { policySetId: setId }, orderBy: { version: 'desc' } })).map(
        toRecord,
      );
    },
  };
}
