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

  t(
    'free-text search: every term, any field, any case, wildcard characters taken literally; newest first',
    async (r) => {
      const entries = [
        entry('e-1', 1, 'policy.published', {
          target: 'web@3',
          detail: { selector: 'role=web', note: '100% rollout' },
        }),
        entry('e-2', 2, 'host.cordoned', { target: 'agent-7', detail: { hostname: 'DB-01', reason: 'disk_swap' } }),
        entry('e-3', 3, 'auth.login', { actor: 'user:bob', detail: { from: '10.0.0.9' } }),
        entry('e-4', 4, 'host.cordoned', { target: 'agent-8', detail: { hostname: 'db-02', reason: 'diskXswap' } }),
      ];
      for (const e of entries) await r.append(e);
      const ids = async (q: Parameters<AuditRepository['query']>[0]) => (await r.query(q)).map((e) => e.id);
      assert.deepEqual(await ids({ text: 'db-01' }), ['e-2'], 'detail, case-insensitive');
      assert.deepEqual(await ids({ text: 'CORDONED db' }), ['e-2', 'e-4'], 'every term');
      assert.deepEqual(await ids({ text: 'bob' }), ['e-3'], 'actor');
      assert.deepEqual(await ids({ text: 'web@3' }), ['e-1'], 'target');
      assert.deepEqual(await ids({ text: 'disk_swap' }), ['e-2'], '_ is a character, not a wildcard');
      assert.deepEqual(await ids({ text: '100%' }), ['e-1'], '% is a character, not a wildcard');
      assert.deepEqual(await ids({ text: '%' }), ['e-1']);
      assert.deepEqual(await ids({ text: 'nowhere' }), []);
      assert.deepEqual(await ids({ text: 'cordoned', limit: 1 }), ['e-2']);
      assert.deepEqual(await ids({ order: 'desc' }), ['e-4', 'e-3', 'e-2', 'e-1']);
      assert.deepEqual(await ids({ order: 'desc', limit: 2, text: 'o' }), ['e-4', 'e-3']);
      // a search whose database pre-filter over-matches still returns `limit` exact matches when there are that many
      assert.deepEqual(await ids({ text: 'disk_swap', limit: 1, order: 'desc' }), ['e-2']);
    },
  );
}
