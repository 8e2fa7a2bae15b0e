import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '../../control-plane/notify/webhook-sender.ts';
import { api, startAgent, startFleet, until, type SimAgent } from './fleet-harness.ts';

async function hookServer() {
  const received: any[] = [];
  const raw: { body: string; signature: string | null; timestamp: string | null }[] = [];
  const srv = createServer((req, res) => {
    let b = '';
    req.on('data', (d) => (b += d));
    req.on('end', () => {
      received.push(JSON.parse(b));
      raw.push({
        body: b,
        signature: (req.headers['x-homeostat-signature'] as string | undefined) ?? null,
        timestamp: (req.headers['x-homeostat-timestamp'] as string | undefined) ?? null,
      });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    received,
    raw,
    url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/alerts`,
    close: () => new Promise((r) => srv.close(r)),
  };
}

test('correlation: a rack overheating becomes one incident with a rack hint, webhooks fire, escalations it explains are inhibited; maintenance silences and pauses', async () => {
  // 16 hosts: 4 of 4 in one rack is p ≈ 1/1820 (score 3.26) before Tarone's correction over the fleet's testable
  // (key, value) pairs, so this small fleet uses a far lower bar than the default 5.5.
  const rig = await startFleet({ externalURL: 'https://cp.test', incidents: { correlator: { minScore: 2.5 } } });
  const hook = await hookServer();
  const agents: SimAgent[] = [];
  try {
    for (let i = 0; i < 16; i++)
      agents.push(await startAgent(rig, `n${i}`, { rack: `r${Math.floor(i / 4)}`, switch: `sw${Math.floor(i / 8)}` }));
    const created = await api(rig.t, 'POST', '/api/webhooks', { name: 'am', url: hook.url });
    assert.equal(created.status, 201);
    assert.match(created.body.secret, /^whsec_[A-Za-z0-9_-]{43}$/);
    const listedHooks = (await api(rig.t, 'GET', '/api/webhooks')).body.webhooks;
    assert.deepEqual(
      listedHooks.map((w: Record<string, unknown>) => [w.id, w.signed, 'secret' in w]),
      [[created.body.id, true, false]],
    );
    // Maintenance on rack r3: its hosts get a pause until the window ends and their events open no incident.
    const start = rig.clock.t - 60_000;
    const m = await api(rig.t, 'POST', '/api/silences', {
      kind: 'maintenance',
      selector: 'rack=r3',
      schedule: { type: 'once', startsAt: start, endsAt: start + 3_600_000 },
      reason: 'PDU swap',
      pauseActions: ['reboot'],
    });
    assert.equal(m.status, 201);
    await rig.fleet.tick();
    for (const a of agents.slice(12)) {
      const p = await until(() => a.commands.find((c) => c.type === 'pause'), 'pause command');
      assert.deepEqual(p, {
        v: 1,
        type: 'pause',
        actions: ['reboot'],
        until: start + 3_600_000,
        reason: `maintenance window ${m.body.id}: PDU swap`,
      });
    }
    assert.ok(!agents[0]!.commands.some((c) => c.type === 'pause'));

    const rack1 = agents.slice(4, 8);
    for (const a of [...rack1, ...agents.slice(12)])
      await a.emit(rig.clock.t, { type: 'anomaly.detected', data: { feature: 'temp.cpu' } });
    await rack1[0]!.emit(rig.clock.t, {
      type: 'heal.escalated',
      severity: 'critical',
      message: 'fan-boost escalated',
      data: { policy: 'fans' },
    });
    await until(async () => (await rig.fleet.services.ctx.repos.telemetry.countEvents()) === 9, 'events stored');
    const changes = await rig.fleet.services.incidents.tick();
    const opened = changes.filter((c) => c.type === 'opened').map((c) => c.incident);
    assert.equal(opened.length, 1);
    assert.deepEqual([opened[0]!.key, opened[0]!.value, opened[0]!.hosts.length], ['rack', 'r1', 4]);
    const listed = (await api(rig.t, 'GET', '/api/incidents?status=open')).body.incidents;
    assert.equal(listed.length, 1);
    // The fleet overview's per-host count: the 4 rack-r1 hosts are in the open incident, the others in none.
    const hosts = (await api(rig.t, 'GET', '/api/hosts')).body.hosts as { id: string; openIncidents: number }[];
    const inRack1 = new Set(rack1.map((a) => a.agentId));
    assert.equal(hosts.length, 16);
    for (const h of hosts) assert.equal(h.openIncidents, inRack1.has(h.id) ? 1 : 0, h.id);
    assert.equal((await api(rig.t, 'GET', `/api/hosts/${rack1[0]!.agentId}`)).body.openIncidents, 1);
    assert.match(
      listed[0].hint.explanation,
      /^4 of 4 hosts showing anomaly\.detected:temp have rack=r1 \(100%\), against 4 of 16 hosts in the fleet \(25%\): 4\.0× over-represented/,
    );
    await rig.fleet.services.notifier.drain();
    assert.equal(hook.received.length, 1, 'the escalation on a host the rack incident explains is inhibited');
    assert.ok(
      verifyWebhookSignature(created.body.secret, hook.raw[0]!, hook.raw[0]!.body, Math.floor(rig.clock.t / 1000)),
      'delivery signed with the secret shown at creation',
    );
    assert.deepEqual(
      [
        hook.received[0].version,
        hook.received[0].status,
        hook.received[0].alerts[0].labels.cause_rack,
        hook.received[0].alerts[0].generatorURL,
      ],
      ['4', 'firing', 'r1', `https://cp.test/incidents/${listed[0].id}`],
    );

    // Acknowledge + annotate, then the incident resolves by itself once quiet, and the webhook says so.
    assert.equal((await api(rig.t, 'POST', `/api/incidents/${listed[0].id}/ack`)).body.acknowledged.by, 'admin');
    assert.equal(
      (await api(rig.t, 'POST', `/api/incidents/${listed[0].id}/notes`, { text: 'CRAC-2 tripped' })).body.notes[0].text,
      'CRAC-2 tripped',
    );
    rig.clock.t += 25 * 60_000;
    await rig.fleet.tick();
    await rig.fleet.services.notifier.drain();
    assert.equal((await api(rig.t, 'GET', `/api/incidents/${listed[0].id}`)).body.status, 'resolved');
    assert.equal(hook.received.at(-1).status, 'resolved');
    // The maintenance window expires by itself.
    rig.clock.t += 60 * 60_000;
    await rig.fleet.tick();
    assert.deepEqual((await api(rig.t, 'GET', '/api/silences')).body.silences, []);
    const metrics = await fetch(`${rig.t.urls.httpUrl}/metrics`, {
      headers: { authorization: `Bearer ${rig.t.adminToken}` },
    });
    const text = await metrics.text();
    assert.match(metrics.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
    assert.match(text, /^homeostat_agents_online 16$/m);
    assert.match(text, /^homeostat_notifications_inhibited_total 1$/m);
    assert.match(text, /^homeostat_ingest_events_accepted_total 9$/m);
  } finally {
    for (const a of agents) await a.close();
    await hook.close();
    await rig.close();
  }
});

test('approvals: a policy guard asks, an operator decides, the agent gets the approval command; the blast-radius breaker pauses a rack and asks instead', async () => {
  const rig = await startFleet({ incidents: { breaker: { maxShare: 0.5, minHosts: 3, groupKeys: ['rack'] } } });
  const agents: SimAgent[] = [];
  try {
    for (let i = 0; i < 8; i++) agents.push(await startAgent(rig, `w${i}`, { rack: i < 4 ? 'r1' : 'r2' }));
    const a0 = agents[0]!;
    await a0.emit(rig.clock.t, {
      type: 'heal.approval-requested',
      message: 'policy restart-db waits for approval',
      data: { policy: 'restart-db', requestId: 'rq-1', actions: [{ type: 'restart-service' }] },
    });
    await until(async () => (await rig.fleet.services.ctx.repos.telemetry.countEvents()) === 1, 'event stored');
    await rig.fleet.tick();
    const pending = (await api(rig.t, 'GET', '/api/approvals?status=pending')).body.approvals;
    assert.deepEqual(
      pending.map((p: any) => [p.source, p.hostId, p.requestId, p.action]),
      [['policy', a0.agentId, 'rq-1', 'restart-service']],
    );
    const decided = await api(rig.t, 'POST', `/api/approvals/${pending[0].id}/decide`, {
      approved: true,
      reason: 'db is drained',
    });
    assert.equal(decided.body.status, 'approved');
    assert.deepEqual(await until(() => a0.commands.find((c) => c.type === 'approval'), 'approval command'), {
      v: 1,
      type: 'approval',
      requestId: 'rq-1',
      approved: true,
      by: 'admin',
      reason: 'db is drained',
    });
    assert.equal((await api(rig.t, 'POST', `/api/approvals/${pending[0].id}/decide`, { approved: false })).status, 409);

    // 3 of the 4 hosts of rack r1 start rebooting within the window: more than half → breaker trips.
    for (const a of agents.slice(0, 3))
      await a.emit(rig.clock.t, {
        type: 'heal.execute',
        data: { policy: 'reboot-on-hang', actions: [{ type: 'reboot' }] },
      });
    await agents[4]!.emit(rig.clock.t, {
      type: 'heal.execute',
      data: { policy: 'reboot-on-hang', actions: [{ type: 'reboot' }] },
    });
    await until(async () => (await rig.fleet.services.ctx.repos.telemetry.countEvents()) === 5, 'events stored');
    await rig.fleet.tick();
    for (const a of agents.slice(0, 4)) {
      const p = await until(() => a.commands.find((c) => c.type === 'pause'), 'pause');
      assert.equal(p.type === 'pause' && p.actions.join(), 'reboot');
      assert.match(
        p.type === 'pause' ? p.reason : '',
        /^blast-radius breaker: 75% of rack=r1 \(3\/4\) wanted 'reboot'/,
      );
    }
    assert.ok(!agents[4]!.commands.some((c) => c.type === 'pause'));
    const brk = (await api(rig.t, 'GET', '/api/approvals?status=pending')).body.approvals;
    assert.deepEqual(
      brk.map((b: any) => [b.source, b.groupKey, b.groupValue, b.action]),
      [['breaker', 'rack', 'r1', 'reboot']],
    );
    await api(rig.t, 'POST', `/api/approvals/${brk[0].id}/decide`, { approved: true, reason: 'planned kernel update' });
    for (const a of agents.slice(0, 4)) {
      const resume = await until(() => a.commands.filter((c) => c.type === 'pause')[1], 'resume');
      assert.deepEqual(resume, {
        v: 1,
        type: 'pause',
        actions: ['reboot'],
        until: rig.clock.t,
        reason: 'approved by admin: planned kernel update',
      });
    }
    const audit = (await api(rig.t, 'GET', '/api/audit?action=approval.')).body.entries.map(
      (e: any) => `${e.action} ${e.actor}`,
    );
    assert.deepEqual(audit, [
      `approval.requested agent:${a0.agentId}`,
      'approval.granted user:admin',
      'approval.granted user:admin',
    ]);
    const csv = await fetch(`${rig.t.urls.httpUrl}/api/audit/export?format=csv&action=approval.`, {
      headers: { authorization: `Bearer ${rig.t.adminToken}` },
    });
    const lines = (await csv.text()).trim().split('\r\n');
    assert.equal(lines[0], 'id,time,actor,actorType,action,target,detail');
    assert.equal(lines.length, 4);
  } finally {
    for (const a of agents) await a.close();
    await rig.close();
  }
});

test('correlation: failures on the hosts a rollout just reached form one incident naming the policy version and the rollout', async () => {
  // 12 hosts: 3 of 3 on the new version is p ≈ 1/220, so this tiny fleet uses a low significance bar.
  const rig = await startFleet({ incidents: { correlator: { minScore: 2 } } });
  const agents: SimAgent[] = [];
  try {
    for (let i = 0; i < 12; i++) agents.push(await startAgent(rig, `p${i}`, { rack: `r${i % 3}` }));
    const src =
      'policies:\n  - name: restart-app\n    when: { service: app }\n    do: [ { type: restart-service, service: app } ]\n';
    await api(rig.t, 'POST', '/api/policies', { name: 'app', source: src });
    const ro = (await api(rig.t, 'POST', '/api/policies/app/publish', { percents: [25, 100], soak: '10m' })).body;
    const wave0 = new Set<string>(ro.waves[0]);
    await until(
      async () =>
        (await api(rig.t, 'GET', '/api/fleet/hosts')).body.hosts.filter((h: any) => h.policy.applied === 'app@1')
          .length === 3,
      'wave 0 applied',
    );
    await rig.fleet.tick(); // the correlator learns the new attribute values
    for (const a of agents.filter((x) => wave0.has(x.agentId)))
      await a.emit(rig.clock.t, { type: 'heal.escalated', severity: 'critical', data: { policy: 'restart-app' } });
    await until(
      async () => (await rig.fleet.services.ctx.repos.telemetry.countEvents({ type: 'heal.escalated' })) === 3,
      'events stored',
    );
    await rig.fleet.tick();
    const open = (await api(rig.t, 'GET', '/api/incidents?status=open')).body.incidents;
    assert.equal(open.length, 1);
    assert.deepEqual([open[0].key, open[0].value, open[0].hosts.length], ['policyVersion', 'app@1', 3]);
    assert.match(open[0].hint.explanation, new RegExp(`app@1 was rolled out by ${ro.id} \\(soaking\\)`));
    assert.deepEqual(open[0].rollouts, [{ id: ro.id, kind: 'policy', version: 'app@1' }]);
  } finally {
    for (const a of agents) await a.close();
    await rig.close();
  }
});

test('webhook secrets: shown once at creation, rotated on request (deliveries right after sign with the new one only), 404 for an unknown webhook', async () => {
  const rig = await startFleet();
  const hook = await hookServer();
  try {
    const created = await api(rig.t, 'POST', '/api/webhooks', { name: 'pager', url: hook.url });
    assert.equal(created.status, 201);
    const escalate = async (seq: number) => {
      rig.fleet.services.notifier.escalation({ hostId: 'h1', ts: rig.clock.t, data: {}, seq });
      await rig.fleet.services.notifier.drain();
      return hook.raw.at(-1)!;
    };
    const nowS = () => Math.floor(rig.clock.t / 1000);
    assert.ok(verifyWebhookSignature(created.body.secret, await escalate(1), hook.raw.at(-1)!.body, nowS()));
    const rotated = await api(rig.t, 'POST', `/api/webhooks/${created.body.id}/rotate-secret`);
    assert.equal(rotated.status, 200);
    assert.deepEqual([rotated.body.id, rotated.body.signed], [created.body.id, true]);
    assert.match(rotated.body.secret, /^whsec_/);
    assert.notEqual(rotated.body.secret, created.body.secret);
    const after = await escalate(2); // same instant: the notifier's webhook cache must not serve the old secret
    assert.ok(verifyWebhookSignature(rotated.body.secret, after, after.body, nowS()), 'signed with the new secret');
    assert.equal(
      verifyWebhookSignature(created.body.secret, after, after.body, nowS()),
      false,
      'the old secret no longer verifies',
    );
    const missing = await api(rig.t, 'POST', '/api/webhooks/wh-nope/rotate-secret');
    assert.deepEqual([missing.status, missing.body.error, missing.body.id], [404, 'not-found', 'wh-nope']);
  } finally {
    await hook.close();
    await rig.close();
  }
});
