import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, startAgent, startFleet, until } from './fleet-harness.ts';

const POLICY = `policies:
  - name: restart-nginx
    when: { service: nginx, for: 10s }
    do: [ { type: restart-service, service: nginx } ]
    guards: { requireApproval: true }
`;

test('approvals carry their policy and condition; a request nobody decides expires, is audited, and the agent is told', async () => {
  const rig = await startFleet({ approvalTtlMs: 60_000 });
  const agent = await startAgent(rig, 'web-1', { role: 'web' });
  try {
    await api(rig.t, 'POST', '/api/policies', { name: 'web', source: POLICY });
    await api(rig.t, 'POST', '/api/policies/web/publish', { selector: '', percents: [100] });
    await until(async () => {
      const h = (await api(rig.t, 'GET', '/api/fleet/hosts')).body.hosts[0];
      return h.policy.applied === 'web@1';
    }, 'web@1 applied');
    const ask = (requestId: string) =>
      agent.emit(rig.clock.t, {
        type: 'heal.approval-requested',
        message: "policy 'restart-nginx' waits for approval",
        data: { policy: 'restart-nginx', incident: 'inc-1', requestId, actions: [{ type: 'restart-service' }] },
      });
    await ask('inc-1/1');
    const pending = await until(async () => {
      await rig.fleet.tick();
      const list = (await api(rig.t, 'GET', '/api/approvals?status=pending')).body.approvals;
      return list.length === 1 ? list[0] : null;
    }, 'the request stored');
    assert.deepEqual(
      [pending.policy, pending.condition, pending.action, pending.hostId],
      ['restart-nginx', 'service: nginx, for: 10s', 'restart-service', agent.agentId],
    );
    assert.equal(Date.parse(pending.expiresAt) - Date.parse(pending.requestedAt), 60_000);

    rig.clock.t += 59_000;
    await rig.fleet.tick();
    assert.equal((await api(rig.t, 'GET', `/api/approvals?status=pending`)).body.approvals.length, 1);
    rig.clock.t += 2_000;
    await rig.fleet.tick();
    const [expired] = (await api(rig.t, 'GET', '/api/approvals?status=expired')).body.approvals;
    assert.deepEqual(
      [expired.id, expired.decidedBy, expired.decisionReason, expired.expiresAt],
      [pending.id, 'system:expiry', 'expired: no decision within 1 min', null],
    );
    const told = await until(
      () => agent.commands.find((c) => c.type === 'approval' && c.requestId === 'inc-1/1'),
      'the agent told',
    );
    assert.deepEqual(told, {
      v: 1,
      type: 'approval',
      requestId: 'inc-1/1',
      approved: false,
      by: 'system:expiry',
      reason: 'expired: no decision within 1 min',
    });
    const late = await api(rig.t, 'POST', `/api/approvals/${pending.id}/approve`, { reason: 'too late' });
    assert.equal(late.status, 409);
    assert.match(late.body.message, /already expired/);
    const audit = (await api(rig.t, 'GET', '/api/audit?action=approval.expired')).body.entries;
    assert.equal(audit.length, 1);
    assert.deepEqual([audit[0].target, audit[0].detail.policy], ['inc-1/1', 'restart-nginx']);
  } finally {
    await agent.close();
    await rig.close();
  }
});
