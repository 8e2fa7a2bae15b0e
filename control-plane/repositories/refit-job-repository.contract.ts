/** The contract every RefitJobRepository passes (run by repositories.test.ts on SQLite and PostgreSQL). */
import assert from 'node:assert/strict';
import type { RefitJob } from '../../contract/api/refits.ts';
import { contractCases, type OpenRepository } from './contract-support.ts';
import type { RefitJobRepository } from './refit-job-repository.ts';
import { StoredDataError } from './stored-json.ts';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const at = (ms: number) => new Date(T0 + ms);

const job = (id: string, createdMs: number): RefitJob => ({
  id,
  kind: 'anomaly',
  selector: 'role=web',
  since: '7d',
  holdout: 0.2,
  status: 'running',
  progress: { phase: 'queued', share: 0, samplesRead: 0 },
  createdBy: 'admin',
  createdAt: at(createdMs).toISOString(),
});

export function runRefitJobRepositoryContract(
  backend: string,
  open: OpenRepository<RefitJobRepository>,
  skip: string | false = false,
): void {
  const t = contractCases('RefitJobRepository', backend, open, skip);

  t('one running job at a time; finishing releases the slot; newest first', async (r) => {
    const a = job('refit-a', 0);
    assert.equal(await r.claim(a, at(0)), null);
    assert.deepEqual(await r.claim(job('refit-b', 1000), at(1000)), a, 'the running job blocks');
    assert.equal(await r.get('refit-b'), null);
    const progressed = { ...a, progress: { phase: 'reading samples', share: 0.5, samplesRead: 1200 } };
    await r.save(progressed, at(2000));
    assert.deepEqual(await r.get('refit-a'), progressed);
    const done = { ...progressed, status: 'succeeded' as const, modelId: 'anomaly-multi@5.1.0-fleet.1' };
    await r.save({ ...done, finishedAt: at(3000).toISOString() }, at(3000));
    const b = job('refit-b', 4000);
    assert.equal(await r.claim(b, at(4000)), null);
    assert.deepEqual(
      (await r.list(10)).map((j) => [j.id, j.status]),
      [
        ['refit-b', 'running'],
        ['refit-a', 'succeeded'],
      ],
    );
    assert.deepEqual(
      (await r.list(1)).map((j) => j.id),
      ['refit-b'],
    );
  });

  t('a running job without a heartbeat since staleBefore is failed and stops blocking', async (r) => {
    await r.claim(job('refit-a', 0), at(0));
    await r.save(job('refit-a', 0), at(10_000));
    assert.equal(await r.failStale(at(10_000), 'replica gone', at(70_000)), 0, 'a fresh heartbeat is not stale');
    assert.equal(await r.failStale(at(10_001), 'replica gone', at(70_000)), 1);
    assert.deepEqual(await r.get('refit-a'), {
      ...job('refit-a', 0),
      status: 'failed',
      error: 'replica gone',
      finishedAt: at(70_000).toISOString(),
    });
    assert.equal(await r.claim(job('refit-b', 80_000), at(80_000)), null);
  });

  t('a stored job that breaks its schema is an error naming the job', async (r, sql) => {
    await r.claim(job('refit-a', 0), at(0));
    await sql(`UPDATE "RefitJob" SET "job" = '{"id":"refit-a","status":"exploded"}' WHERE "id" = 'refit-a'`);
    await assert.rejects(
      r.get('refit-a'),
      (e: unknown) => e instanceof StoredDataError && /refit job 'refit-a'/.test(e.message),
    );
  });
}
