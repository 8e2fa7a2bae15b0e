/** Prisma RolloutRepository (SQLite and PostgreSQL). */
import { ConflictError, NotFoundError } from '../../../contract/errors.ts';
import type { Db } from '../../db/database.ts';
import { RolloutStateSchema, type RolloutRecord, type RolloutRepository } from '../rollout-repository.ts';
import { parseStored } from '../stored-json.ts';
import { isRecordNotFound, isUniqueViolation } from './errors.ts';

type Row = Awaited<ReturnType<Db['rollout']['findUniqueOrThrow']>>;

function toRecord(r: Row): RolloutRecord {
  const state = parseStored(RolloutStateSchema, r.state, `rollout '${r.id}' state`);
  return {
    id: r.id,
    kind: state.kind,
    subject: r.subject,
    version: r.version,
    selector: r.selector,
    status: state.status,
    state,
    createdBy: r.createdBy,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

const statusWhere = (s: string | string[] | undefined) =>
  s === undefined ? {} : { status: Array.isArray(s) ? { in: s } : s };

/** Builds the repository over a client. */
export function prismaRolloutRepository(db: Db): RolloutRepository {
  return {
    async create({ state, selector, createdBy, at }) {
      try {
        return toRecord(
          await db.rollout.create({
            data: {
              id: state.id,
              kind: state.kind,
              subject: state.subject,
              version: state.version,
              selector,
              status: state.status,
              state: state as object,
              createdBy,
              createdAt: at,
              updatedAt: at,
            },
          }),
        );
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError(`rollout '${state.id}' exists`, 'exists');
        throw err;
      }
    },
    async save(state, at) {
      try {
        await db.rollout.update({
          where: { id: state.id },
          data: { state: state as object, status: state.status, updatedAt: at },
        });
      } catch (err) {
        if (isRecordNotFound(err)) throw new NotFoundError('rollout', state.id);
        throw err;
      }
    },
    async get(id) {
      const r = await db.rollout.findUnique({ where: { id } });
      return r ? toRecord(r) : null;
    },
    async list(f = {}) {
      const rows = await db.rollout.findMany({
        where: {
          ...(f.subject !== undefined ? { subject: f.subject } : {}),
          ...(f.kind ? { kind: f.kind } : {}),
          ...statusWhere(f.status),
        },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        ...(f.limit !== undefined ? { take: f.limit } : {}),
      });
      return rows.map(toRecord);
    },
    count: (status) => db.rollout.count({ where: { status: { in: status } } }),
    async latestOfVersion(version) {
      const r = await db.rollout.findFirst({ where: { version }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
      return r ? toRecord(r) : null;
    },
    async updatedSince(at) {
      return (
        await db.rollout.findMany({ where: { updatedAt: { gte: at } }, orderBy: [{ updatedAt: 'asc' }, { id: 'asc' }] })
      ).map(toRecord);
    },
    async setIntent({ hostId, kind, version, rolloutId, at }) {
      await db.hostIntent.upsert({
        where: { hostId_kind: { hostId, kind } },
        create: { hostId, kind, version, rolloutId, updatedAt: at },
        update: { version, rolloutId, updatedAt: at },
      });
    },
    async intents(f = {}) {
      const rows = await db.hostIntent.findMany({
        where: {
          ...(f.kind !== undefined ? { kind: f.kind } : {}),
          ...(f.hostIds ? { hostId: { in: f.hostIds } } : {}),
        },
        orderBy: [{ hostId: 'asc' }, { kind: 'asc' }],
      });
      return rows.map((r) => ({
        hostId: r.hostId,
        kind: r.kind,
        version: r.version,
        rolloutId: r.rolloutId,
        updatedAt: r.updatedAt,
      }));
    },
  };
}
