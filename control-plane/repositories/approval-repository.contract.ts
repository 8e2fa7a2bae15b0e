/** The contract every ApprovalRepository passes (run by repositories.test.ts on SQLite and PostgreSQL). */
import assert from 'node:assert/strict';
import { contractCases, type OpenRepository } from './contract-support.ts';
import type { ApprovalRepository, NewApproval } from './approval-repository.ts';

const T0 = Date.parse('2030-01-01T00:00:00Z');

const policyRequest = (id: string, requestId: string, hostId: string, s: number): NewApproval => ({
  id,
  requestId,
  source: 'policy',
  hostId,
  groupKey: null,
  groupValue: null,
  action: 'reboot',
  reason: 'guard',
  policy: 'reboot-when-stuck',
  condition: 'cpu.util_pct > 95 for 10m',
  requestedAt: new Date(T0 + s * 1000),
});

export function runApprovalRepositoryContract(
  backend: string,
  open: OpenRepository<ApprovalRepository>,
  skip: string | false = false,
): void {
  const t = contractCases('ApprovalRepository', backend, open, skip);

  t('requests are pending, found by (request, host), listed newest first by status and limited', async (r) => {
    const a = await r.create(policyRequest('apr-1', 'req-1', 'h1', 0));
    assert.deepEqual(
      [a.status, a.decidedBy, a.decidedAt, a.decisionReason, a.requestedAt.getTime()],
      ['pending', null, null, null, T0],
    );
    await r.create({
      id: 'apr-2',
      requestId: 'brk-1',
      source: 'breaker',
      hostId: null,
      groupKey: 'rack',
      groupValue: 'r1',
      action: 'restart-service',
      reason: 'breaker',
      policy: null,
      condition: null,
      requestedAt: new Date(T0 + 2000),
    });
    await r.create(policyRequest('apr-3', 'req-3', 'h2', 1));
    assert.equal((await r.findByRequest('req-1', 'h1'))!.id, 'apr-1');
    assert.equal(await r.findByRequest('req-1', 'h2'), null);
    assert.deepEqual(await r.get('apr-1'), a);
    assert.deepEqual(
      (await r.list()).map((x) => x.id),
      ['apr-2', 'apr-3', 'apr-1'],
    );
    assert.deepEqual(
      (await r.list({ limit: 2 })).map((x) => x.id),
      ['apr-2', 'apr-3'],
    );
    assert.equal(await r.decide('apr-3', { approved: false, by: 'bob', at: new Date(T0 + 5000), reason: 'no' }), true);
    assert.deepEqual(
      (await r.list({ status: 'pending' })).map((x) => x.id),
      ['apr-2', 'apr-1'],
    );
    const d = (await r.get('apr-3'))!;
    assert.deepEqual(
      [d.status, d.decidedBy, d.decidedAt?.getTime(), d.decisionReason],
      ['denied', 'bob', T0 + 5000, 'no'],
    );
    assert.deepEqual([await r.count('pending'), await r.count('denied'), await r.count('approved')], [2, 1, 0]);
  });

  t(
    'decide is compare-and-set: one of several concurrent decisions wins; decided or unknown approvals refuse',
    async (r) => {
      await r.create(policyRequest('apr-1', 'req-1', 'h1', 0));
      const wins = await Promise.all(
        ['alice', 'bob', 'carol'].map((by) =>
          r.decide('apr-1', { approved: true, by, at: new Date(T0 + 1000), reason: null }),
        ),
      );
      assert.equal(wins.filter(Boolean).length, 1);
      assert.equal(
        await r.decide('apr-1', { approved: false, by: 'dave', at: new Date(T0 + 2000), reason: null }),
        false,
      );
      assert.equal((await r.get('apr-1'))!.status, 'approved');
      assert.equal(await r.decide('apr-nope', { approved: true, by: 'x', at: new Date(T0), reason: null }), false);
    },
  );

  t(
    'stale pending requests are listed oldest first and expire once (compare and set), keeping their context',
    async (r) => {
      for (const [i, at] of [10, 0, 20].entries()) await r.create(policyRequest(`apr-${i}`, `req-${i}`, 'h1', at));
      await r.decide('apr-2', { approved: true, by: 'ann', at: new Date(T0 + 30_000), reason: null });
      assert.deepEqual(
        (await r.pendingBefore(new Date(T0 + 25_000))).map((a) => a.id),
        ['apr-1', 'apr-0'],
      );
      assert.deepEqual(await r.pendingBefore(new Date(T0)), []);
      const at = new Date(T0 + 40_000);
      assert.equal(await r.expire('apr-1', { by: 'system:expiry', at, reason: 'no decision in 24 h' }), true);
      assert.equal(await r.expire('apr-1', { by: 'system:expiry', at, reason: 'again' }), false);
      assert.equal(await r.expire('apr-2', { by: 'system:expiry', at, reason: 'decided' }), false);
      const e = (await r.get('apr-1'))!;
      assert.deepEqual(
        [e.status, e.decidedBy, e.decidedAt?.getTime(), e.decisionReason, e.policy, e.condition],
        [
          'expired',
          'system:expiry',
          T0 + 40_000,
          'no decision in 24 h',
          'reboot-when-stuck',
          'cpu.util_pct > 95 for 10m',
        ],
      );
      assert.equal(await r.count('expired'), 1);
    },
  );
}
