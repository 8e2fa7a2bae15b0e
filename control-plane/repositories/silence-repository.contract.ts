/** The contract every SilenceRepository passes (run by repositories.test.ts on SQLite and PostgreSQL). */
import assert from 'node:assert/strict';
import { contractCases, type OpenRepository } from './contract-support.ts';
import type { SilenceRecord, SilenceRepository } from './silence-repository.ts';
import { StoredDataError } from './stored-json.ts';

const T0 = Date.parse('2030-01-01T00:00:00Z');

export function runSilenceRepositoryContract(
  backend: string,
  open: OpenRepository<SilenceRepository>,
  skip: string | false = false,
): void {
  const t = contractCases('SilenceRepository', backend, open, skip);

  t('create/list round-trip every schedule kind, oldest first; delete says whether it existed', async (r) => {
    const once: SilenceRecord = {
      id: 'sil-1',
      kind: 'silence',
      selector: 'rack=r1',
      schedule: { type: 'once', startsAt: T0, endsAt: T0 + 3_600_000 },
      reason: 'swap',
      createdBy: 'alice',
      pauseActions: [],
      createdAt: new Date(T0 + 2000),
    };
    const weekly: SilenceRecord = {
      id: 'mw-1',
      kind: 'maintenance',
      selector: 'role=db',
      schedule: { type: 'weekly', days: [0, 6], start: '02:00', durationMinutes: 120, until: null },
      reason: 'patching',
      createdBy: 'bob',
      pauseActions: ['reboot', 'restart-service'],
      createdAt: new Date(T0),
    };
    const cron: SilenceRecord = {
      id: 'mw-2',
      kind: 'maintenance',
      selector: '',
      schedule: { type: 'cron', expr: '0 3 * * 1', durationMinutes: 30, until: T0 + 86_400_000 },
      reason: 'backup',
      createdBy: 'bob',
      pauseActions: [],
      createdAt: new Date(T0 + 1000),
    };
    for (const s of [once, weekly, cron]) assert.deepEqual(await r.create(s), s);
    assert.deepEqual(await r.list(), [weekly, cron, once]);
    assert.equal(await r.delete('mw-2'), true);
    assert.equal(await r.delete('mw-2'), false);
    assert.deepEqual(
      (await r.list()).map((s) => s.id),
      ['mw-1', 'sil-1'],
    );
  });

  t('a stored schedule that breaks its schema is an error naming the silence', async (r, sql) => {
    await r.create({
      id: 'sil-1',
      kind: 'silence',
      selector: '',
      schedule: { type: 'once', startsAt: T0, endsAt: T0 + 1 },
      reason: 'x',
      createdBy: 'a',
      pauseActions: [],
      createdAt: new Date(T0),
    });
    await sql(`UPDATE "Silence" SET "schedule" = '{"type":"fortnightly"}' WHERE "id" = 'sil-1'`);
    await assert.rejects(
      r.list(),
      (e: unknown) => e instanceof StoredDataError && /silence 'sil-1' schedule/.test(e.message),
    );
  });
}
