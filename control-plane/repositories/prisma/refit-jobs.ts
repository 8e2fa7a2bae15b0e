/** Prisma RefitJobRepository (SQLite and PostgreSQL); the job document is parsed with the contract's schema. */
import { RefitJob } from '../../../contract/api/refits.ts';
import type { Db } from '../../db/database.ts';
import type { RefitJobRepository } from '../refit-job-repository.ts';
import { parseStored } from '../stored-json.ts';
import { isUniqueViolation } from './errors.ts';

type Row = Awaited<ReturnType<Db['refitJob']['findUniqueOrThrow']>>;

const RUNNING = 'running';
const toJob = (r: Row): RefitJob => parseStored(RefitJob, r.job, `refit job '${r.id}'`);

/** Builds the repository over a client. */
export function prismaRefitJobRepository(db: Db): RefitJobRepository {
  const save: RefitJobRepository['save'] = async (job, heartbeatAt) => {
    await db.refitJob.update({
      where: { id: job.id },
      data: { status: job.status, slot: job.status === 'running' ? RUNNING : null, job, heartbeatAt },
    });
  };
  return {
    save,
    async claim(job, heartbeatAt) {
      const data = {
        id: job.id,
        status: job.status,
        slot: RUNNING,
        job,
        createdAt: new Date(job.createdAt),
        heartbeatAt,
      };
      // a second attempt when the job that held the slot finished between the insert and the read
      for (let attempt = 0; ; attempt++) {
        try {
          await db.refitJob.create({ data });
          return null;
        } catch (err) {
          if (!isUniqueViolation(err)) throw err;
          const blocking = await db.refitJob.findUnique({ where: { slot: RUNNING } });
          if (blocking || attempt > 0) return blocking ? toJob(blocking) : job;
        }
      }
    },
    async failStale(staleBefore, error, now) {
      const stale = await db.refitJob.findMany({ where: { slot: RUNNING, heartbeatAt: { lt: staleBefore } } });
      let n = 0;
      for (const r of stale) {
        const job = { ...toJob(r), status: 'failed' as const, error, finishedAt: now.toISOString() };
        // conditional on the heartbeat read, so a replica that was alive after all is not overwritten
        const { count } = await db.refitJob.updateMany({
          where: { id: r.id, slot: RUNNING, heartbeatAt: r.heartbeatAt },
          data: { status: 'failed', slot: null, job },
        });
        n += count;
      }
      return n;
    },
    async get(id) {
      const r = await db.refitJob.findUnique({ where: { id } });
      return r ? toJob(r) : null;
    },
    async list(limit) {
      const rows = await db.refitJob.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: limit });
      return rows.map(toJob);
    },
  };
}
