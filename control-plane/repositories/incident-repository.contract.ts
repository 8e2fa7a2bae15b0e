/** The contract every IncidentRepository passes (run by repositories.test.ts on SQLite and PostgreSQL). */
import assert from 'node:assert/strict';
import type { Incident } from '../correlate/incident.ts';
import { contractCases, type OpenRepository } from './contract-support.ts';
import type { IncidentRepository } from './incident-repository.ts';
import { StoredDataError } from './stored-json.ts';

const T0 = Date.parse('2030-01-01T00:00:00Z');

function incident(id: string, openedS: number, over: Partial<Incident> = {}): Incident {
  const openedAt = T0 + openedS * 1000;
  return {
    id,
    status: 'open',
    scope: 'group',
    key: 'rack',
    value: 'r1',
    severity: 'warning',
    hosts: ['h1', 'h2'],
    signatures: ['heal.failed'],
    eventCount: 3,
    eventIds: ['h1:1', 'h2:4', 'h2:5'],
    firstEventAt: openedAt - 500,
    openedAt,
    updatedAt: openedAt,
    lastEventAt: openedAt,
    resolvedAt: null,
    mergedInto: null,
    suppressed: false,
    hint: {
      key: 'rack',
      value: 'r1',
      affected: 2,
      symptomatic: 2,
      fleetWithValue: 2,
      fleetSize: 20,
      affectedShare: 1,
      fleetShare: 0.1,
      lift: 10,
      score: 2.3,
      explanation: 'rack r1',
    },
    acknowledged: null,
    notes: [],
    title: `rack=r1: heal.failed (${id})`,
    ...over,
  };
}

export function runIncidentRepositoryContract(
  backend: string,
  open: OpenRepository<IncidentRepository>,
  skip: string | false = false,
): void {
  const t = contractCases('IncidentRepository', backend, open, skip);

  t('upsert creates and replaces the document; get returns it as stored', async (r) => {
    const i = incident('inc-1', 0, { rollouts: [{ id: 'ro-1', kind: 'policy', version: 'base@2' }] });
    await r.upsert(i);
    assert.deepEqual(await r.get('inc-1'), i);
    const resolved: Incident = {
      ...i,
      status: 'resolved',
      resolvedAt: T0 + 9000,
      updatedAt: T0 + 9000,
      acknowledged: { by: 'alice', at: T0 + 100 },
      notes: [{ by: 'alice', at: T0 + 200, text: 'fan' }],
    };
    await r.upsert(resolved);
    assert.deepEqual(await r.get('inc-1'), resolved);
    assert.equal(await r.get('inc-nope'), null);
  });

  t('list: newest opened first, by status, limited; summaries by status or ids; counts', async (r) => {
    await r.upsert(incident('inc-a', 0));
    await r.upsert(incident('inc-b', 2, { status: 'resolved', resolvedAt: T0 + 3000 }));
    await r.upsert(incident('inc-c', 1, { scope: 'host', key: 'host', value: 'h1', hosts: ['h1'] }));
    assert.deepEqual(
      (await r.list()).map((i) => i.id),
      ['inc-b', 'inc-c', 'inc-a'],
    );
    assert.deepEqual(
      (await r.list({ status: 'open' })).map((i) => i.id),
      ['inc-c', 'inc-a'],
    );
    assert.deepEqual(
      (await r.list({ limit: 1 })).map((i) => i.id),
      ['inc-b'],
    );
    const open = await r.summaries({ status: 'open' });
    assert.deepEqual(
      open.map((s) => [s.id, s.status, s.updatedAt.getTime()]),
      [
        ['inc-a', 'open', T0],
        ['inc-c', 'open', T0 + 1000],
      ],
    );
    assert.deepEqual(
      (await r.summaries({ ids: ['inc-b', 'inc-x'] })).map((s) => [s.id, s.status, s.title]),
      [['inc-b', 'resolved', 'rack=r1: heal.failed (inc-b)']],
    );
    assert.deepEqual([await r.count('open'), await r.count('resolved'), await r.count('merged')], [2, 1, 0]);
  });

  t('a stored document that breaks the incident schema is an error naming the incident', async (r, sql) => {
    await r.upsert(incident('inc-bad', 0));
    await sql(`UPDATE "Incident" SET "data" = '{"id":"inc-bad","status":"open","hosts":"h1"}' WHERE "id" = 'inc-bad'`);
    await assert.rejects(
      r.list({ status: 'open' }),
      (e: unknown) => e instanceof StoredDataError && /incident 'inc-bad'/.test(e.message) && /hosts/.test(e.message),
    );
  });
}
