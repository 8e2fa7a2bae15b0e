/** Prisma SilenceRepository (SQLite and PostgreSQL); schedules are parsed with correlate/schedule.ts's schema. */
import { z } from 'zod';
import { Schedule } from '../../correlate/schedule.ts';
import type { Db } from '../../db/database.ts';
import type { SilenceRecord, SilenceRepository } from '../silence-repository.ts';
import { parseStored } from '../stored-json.ts';

type Row = Awaited<ReturnType<Db['silence']['findUniqueOrThrow']>>;

const Kind = z.enum(['silence', 'maintenance']);
const PauseActions = z.array(z.string());

function toRecord(r: Row): SilenceRecord {
  const what = `silence '${r.id}'`;
  return {
    id: r.id,
    kind: parseStored(Kind, r.kind, `${what} kind`),
    selector: r.selector,
    schedule: parseStored(Schedule, r.schedule, `${what} schedule`),
    reason: r.reason,
    createdBy: r.createdBy,
    pauseActions: parseStored(PauseActions, r.pauseActions, `${what} pauseActions`),
    createdAt: r.createdAt,
  };
}

/** Builds the repository over a client. */
export function prismaSilenceRepository(db: Db): SilenceRepository {
  return {
    async create(s) {
      return toRecord(
        await db.silence.create({
          data: {
            id: s.id,
            kind: s.kind,
            selector: s.selector,
            schedule: s.schedule as object,
            reason: s.reason,
            pauseActions: s.pauseActions,
            createdBy: s.createdBy,
            createdAt: s.createdAt,
          },
        }),
      );
    },
    async list() {
      return (await db.silence.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] })).map(toRecord);
    },
    async delete(id) {
      return (await db.silence.deleteMany({ where: { id } })).count > 0;
    },
  };
}
