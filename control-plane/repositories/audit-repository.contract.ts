/** The contract every AuditRepository passes (run by repositories.test.ts on SQLite and PostgreSQL). */
import assert from 'node:assert/strict';
import { contractCases, type OpenRepository } from './contract-support.ts';
import type { AuditEntry, AuditRepository } from './audit-repository.ts';

const T0 = Date.parse('2030-01-01T00:00:00Z');

const entry = (id: string, s: number, action: string, over: Partial<AuditEntry> = {}): AuditEntry => ({
  id,
  at: T0 + s * 1000,
  actor: 'user:alice',
  actorType: 'user',
  action,
  target: null,
  detail: {},
  ...over,
});

export function runAuditRepositoryContract(
  backend: string,
  open: OpenRepository<AuditRepository>,
  skip: string | false = false,
): void {
  const t = contractCases('AuditRepository', backend, open, skip);

  t('entries come back oldest first (time, then id) with their detail; filters and limit', async (r) => {
    const a = entry('b-0002', 1, 'policy.created', {
      target: 'base@1',
      detail: { changes: 3, nested: { list: [1, 'two', null] } },
    });
    const b = entry('a-0001', 1, 'policy.edited', { target: 'base@2' });
    const c = entry('c-0003', 0, 'rollout.halted', {
      actor: 'system:rollout',
      actorType: 'system',
      target: 'ro-1',
      detail: { reasons: ['errors'] },
    });
    const d = entry('d-0004', 5, 'auth.login', { actorType: 'anonymous' });
    for (const e of [a, b, c, d]) await r.append(e);
    assert.deepEqual(await r.query({}), [c, b, a, d]);
    assert.deepEqual(
      (await r.query({ since: T0 + 1000, until: T0 + 5000 })).map((e) => e.id),
      ['a-0001', 'b-0002'],
    );
    assert.deepEqual(
      (await r.query({ action: 'policy.' })).map((e) => e.id),
      ['a-0001', 'b-0002'],
    );
    assert.deepEqual(
      (await r.query({ actor: 'system:rollout' })).map((e) => e.id),
      ['c-0003'],
    );
    assert.deepEqual(
      (await r.query({ target: 'base@1' })).map((e) => e.id),
      ['b-0002'],
    );
    assert.deepEqual(
      (await r.query({ limit: 2 })).map((e) => e.id),
      ['c-0003', 'a-0001'],
    );
  });
}
