/** The contract every RolloutRepository passes (run by repositories.test.ts on SQLite and PostgreSQL). */
import assert from 'node:assert/strict';
import { ConflictError, NotFoundError } from '../../contract/errors.ts';
import type { RolloutState } from '../fleet/rollout.ts';
import { contractCases, type OpenRepository } from './contract-support.ts';
import type { RolloutRepository } from './rollout-repository.ts';
import { StoredDataError } from './stored-json.ts';

const T0 = new Date('2030-01-01T00:00:00Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);

/** A rollout state as the state machine writes it. */
export function rolloutState(id: string, over: Partial<RolloutState> = {}): RolloutState {
  return {
    id,
    kind: 'policy',
    subject: 'base',
    version: 'base@2',
    previousVersion: 'base@1',
    waves: [['h1'], ['h2', 'h3']],
    wave: -1,
    status: 'pending',
    waveStartedAt: null,
    soakMs: 600_000,
    ackTimeoutMs: 600_000,
    autoRollback: false,
    thresholds: {},
    history: [{ at: T0.getTime(), event: 'created' }],
    ...over,
  };
}

export function runRolloutRepositoryContract(
  backend: string,
  open: OpenRepository<RolloutRepository>,
  skip: string | false = false,
): void {
  const t = contractCases('RolloutRepository', backend, open, skip);

  t('create, get and save round-trip the state; duplicates conflict, unknown ids are not found', async (r) => {
    const newer = { futureField: { kept: true } }; // written by a newer release
    const s: RolloutState = {
      ...rolloutState('ro-1', { thresholds: { maxRatio: 3, futureKnob: 'kept' } as RolloutState['thresholds'] }),
      ...newer,
    };
    const created = await r.create({ state: s, selector: 'rack=r1', createdBy: 'alice', at: at(0) });
    assert.deepEqual(
      [created.kind, created.subject, created.version, created.status, created.selector, created.createdBy],
      ['policy', 'base', 'base@2', 'pending', 'rack=r1', 'alice'],
    );
    assert.deepEqual(created.state, s, 'unknown keys survive');
    await assert.rejects(
      r.create({ state: s, selector: '', createdBy: 'bob', at: at(1) }),
      (e: unknown) => e instanceof ConflictError && e.reason === 'exists',
    );
    const soaking: RolloutState = {
      ...s,
      wave: 0,
      status: 'soaking',
      waveStartedAt: at(5).getTime(),
      history: [...s.history, { at: at(5).getTime(), event: 'wave 0 sent', detail: '1 host(s)' }],
    };
    await r.save(soaking, at(5));
    const got = (await r.get('ro-1'))!;
    assert.deepEqual(
      [got.status, got.state, got.updatedAt.toISOString(), got.createdAt.toISOString()],
      ['soaking', soaking, at(5).toISOString(), at(0).toISOString()],
    );
    assert.equal(await r.get('ro-nope'), null);
    await assert.rejects(r.save(rolloutState('ro-nope'), at(6)), NotFoundError);
  });

  t(
    'list: newest first, filtered by subject, kind and status, limited; counts; latest of a version; updated since',
    async (r) => {
      await r.create({ state: rolloutState('ro-a', { status: 'completed' }), selector: '', createdBy: 'u', at: at(0) });
      await r.create({
        state: rolloutState('ro-b', { kind: 'model', subject: 'anomaly', version: 'anomaly@2' }),
        selector: '',
        createdBy: 'u',
        at: at(1),
      });
      await r.create({
        state: rolloutState('ro-c', { status: 'soaking', wave: 0 }),
        selector: '',
        createdBy: 'u',
        at: at(2),
      });
      assert.deepEqual(
        (await r.list()).map((x) => x.id),
        ['ro-c', 'ro-b', 'ro-a'],
      );
      assert.deepEqual(
        (await r.list({ subject: 'base' })).map((x) => x.id),
        ['ro-c', 'ro-a'],
      );
      assert.deepEqual(
        (await r.list({ kind: 'model' })).map((x) => x.id),
        ['ro-b'],
      );
      assert.deepEqual(
        (await r.list({ status: ['pending', 'soaking'] })).map((x) => x.id),
        ['ro-c', 'ro-b'],
      );
      assert.deepEqual(
        (await r.list({ status: 'completed' })).map((x) => x.id),
        ['ro-a'],
      );
      assert.deepEqual(
        (await r.list({ limit: 1 })).map((x) => x.id),
        ['ro-c'],
      );
      assert.equal(await r.count(['pending', 'soaking']), 2);
      assert.equal((await r.latestOfVersion('base@2'))!.id, 'ro-c');
      assert.equal(await r.latestOfVersion('base@9'), null);
      await r.save(rolloutState('ro-a', { status: 'completed', history: [] }), at(10));
      assert.deepEqual(
        (await r.updatedSince(at(3))).map((x) => x.id),
        ['ro-a'],
      );
      assert.deepEqual(
        (await r.updatedSince(at(0))).map((x) => x.id),
        ['ro-b', 'ro-c', 'ro-a'],
      );
    },
  );

  t('intents: one per (host, kind), replaced in place, filtered by kind and hosts', async (r) => {
    await r.setIntent({ hostId: 'h2', kind: 'policy', version: 'base@1', rolloutId: 'ro-1', at: at(0) });
    await r.setIntent({ hostId: 'h1', kind: 'policy', version: 'base@1', rolloutId: 'ro-1', at: at(0) });
    await r.setIntent({ hostId: 'h1', kind: 'model:anomaly', version: 'anomaly@2', rolloutId: null, at: at(1) });
    await r.setIntent({ hostId: 'h1', kind: 'policy', version: 'base@2', rolloutId: 'ro-2', at: at(2) });
    const all = await r.intents();
    assert.deepEqual(
      all.map((i) => [i.hostId, i.kind, i.version, i.rolloutId]),
      [
        ['h1', 'model:anomaly', 'anomaly@2', null],
        ['h1', 'policy', 'base@2', 'ro-2'],
        ['h2', 'policy', 'base@1', 'ro-1'],
      ],
    );
    assert.equal(all[1]!.updatedAt.toISOString(), at(2).toISOString());
    assert.deepEqual(
      (await r.intents({ kind: 'policy', hostIds: ['h2', 'h9'] })).map((i) => i.hostId),
      ['h2'],
    );
    assert.deepEqual(await r.intents({ hostIds: [] }), []);
  });

  t('a stored state that breaks its schema is an error naming the rollout and the field', async (r, sql) => {
    await r.create({ state: rolloutState('ro-bad'), selector: '', createdBy: 'u', at: at(0) });
    await sql(`UPDATE "Rollout" SET "state" = '{"id":"ro-bad","kind":"policy","waves":"all"}' WHERE "id" = 'ro-bad'`);
    await assert.rejects(
      r.get('ro-bad'),
      (e: unknown) =>
        e instanceof StoredDataError && /rollout 'ro-bad' state/.test(e.message) && /waves/.test(e.message),
    );
  });
}
