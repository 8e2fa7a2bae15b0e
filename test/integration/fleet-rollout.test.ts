import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { policyCommand } from '../../contract/signing/bundle.ts';
import { agentTopic, commandTopic } from '../../contract/protocol/index.ts';
import { api, startAgent, startFleet, until, type SimAgent } from './fleet-harness.ts';
import { createTestDatabase, pgSkipReason } from '../support/postgres.ts';

const V1 = `policies:
  - name: restart-nginx
    when: { service: nginx, for: 10s }
    do: [ { type: restart-service, service: nginx } ]
`;
const V2 = V1.replace('for: 10s', 'for: 1s').replace('restart-nginx', 'restart-nginx-fast');

async function rolloutScenario(databaseUrl?: string) {
  const rig = await startFleet({}, databaseUrl);
  const agents: SimAgent[] = [];
  try {
    for (let i = 0; i < 10; i++)
      agents.push(await startAgent(rig, `web-${i}`, { rack: i < 5 ? 'r1' : 'r2', role: 'web' }));
    const byId = new Map(agents.map((a) => [a.agentId, a]));
    const hostsApplied = async (version: string, n: number) =>
      until(async () => {
        const r = await api(rig.t, 'GET', '/api/fleet/hosts');
        return r.body.hosts.filter((h: { policy: { applied: string } }) => h.policy.applied === version).length === n
          ? r.body.hosts
          : null;
      }, `${n} hosts applied ${version}`);

    const created = await api(rig.t, 'POST', '/api/policies', { name: 'web', source: V1, comment: 'first' });
    assert.equal(created.status, 201);
    assert.equal(created.body.id, 'web@1');
    const bad = await api(rig.t, 'POST', '/api/policies', {
      name: 'broken',
      source: 'policies: [ { name: x, when: {}, do: [] } ]',
    });
    assert.equal(bad.status, 400);
    assert.ok(bad.body.issues.some((i: { path: string }) => i.path.startsWith('policies.0')));

    // v1 to everyone in three waves: 10% → 50% → 100%, 60 s soak each.
    const pub = await api(rig.t, 'POST', '/api/policies/web/publish', {
      version: 1,
      selector: 'role=web',
      percents: [10, 50, 100],
      soak: '60s',
    });
    assert.equal(pub.status, 201);
    assert.deepEqual(
      pub.body.waves.map((w: string[]) => w.length),
      [1, 4, 5],
    );
    await hostsApplied('web@1', 1);
    assert.deepEqual(await rig.fleet.services.rollouts.tick(), []); // soak not over: nothing happens
    for (const [wave, total] of [
      [1, 5],
      [2, 10],
    ] as const) {
      rig.clock.t += 60_000;
      await rig.fleet.tick();
      await hostsApplied('web@1', total);
      assert.equal((await api(rig.t, 'GET', `/api/rollouts/${pub.body.id}`)).body.wave, wave);
    }
    rig.clock.t += 60_000;
    await rig.fleet.tick();
    assert.equal((await api(rig.t, 'GET', `/api/rollouts/${pub.body.id}`)).body.status, 'completed');
    assert.equal(agents[0]!.applied[0]!.version, 'web@1');
    const listed = async () =>
      (await api(rig.t, 'GET', '/api/policies')).body.policies.find((p: { id: string }) => p.id === 'web');
    assert.deepEqual(
      { published: (await listed()).publishedVersion, rolling: (await listed()).rollingOutVersion },
      { published: 1, rolling: null },
    );
    // The same version again is refused: it is live on every target already.
    const again = await api(rig.t, 'POST', '/api/policies/web/publish', {
      version: 1,
      selector: 'role=web',
      percents: [100],
    });
    assert.equal(again.status, 409);
    assert.match(again.body.message, /already live on all 10 target host/);

    // v2 — diffed against v1 — breaks healing on the hosts that get it.
    const v2 = await api(rig.t, 'PUT', '/api/policies/web', { source: V2, comment: 'faster' });
    assert.equal(v2.status, 201);
    assert.deepEqual(
      v2.body.diff.map((d: { path: string; op: string }) => `${d.op} ${d.path}`),
      ['changed policies[0].name', 'changed policies[0].when.for'],
    );
    assert.equal((await api(rig.t, 'PUT', '/api/policies/web', { source: V2 })).status, 409);
    const ro = await api(rig.t, 'POST', '/api/policies/web/publish', {
      version: 2,
      selector: 'role=web',
      percents: [20, 100],
      soak: '60s',
    });
    const wave0: string[] = ro.body.waves[0];
    assert.equal(wave0.length, 2);
    await hostsApplied('web@2', 2);
    for (const id of wave0)
      await byId
        .get(id)!
        .emit(
          rig.clock.t + 1000,
          { type: 'heal.verify-failed', data: { policy: 'restart-nginx-fast' } },
          { type: 'heal.escalated', severity: 'critical', data: { policy: 'restart-nginx-fast' } },
        );
    for (const id of wave0)
      await until(
        async () => (await api(rig.t, 'GET', `/api/hosts/${id}/events`)).body.events.length >= 2,
        'events stored',
      );
    rig.clock.t += 60_000;
    await rig.fleet.tick();
    const halted = (await api(rig.t, 'GET', `/api/rollouts/${ro.body.id}`)).body;
    assert.equal(halted.status, 'halted');
    assert.equal(
      halted.history.find((h: { event: string }) => h.event === 'halted').detail,
      'errors: 2/host on the new version vs 0/host on the rest (limit ×2 and +0.5)',
    );
    // The other 8 hosts never got v2: intended and applied stay v1.
    const hosts = (await api(rig.t, 'GET', '/api/fleet/hosts')).body.hosts as {
      id: string;
      policy: { intended: string; applied: string };
    }[];
    for (const h of hosts)
      assert.deepEqual(
        h.policy,
        wave0.includes(h.id) ? { intended: 'web@2', applied: 'web@2' } : { intended: 'web@1', applied: 'web@1' },
      );

    // Resume after a halt: the wave is sent again and soaks afresh; resuming twice is refused.
    const resumed = await api(rig.t, 'POST', `/api/rollouts/${ro.body.id}/resume`);
    assert.equal(resumed.status, 200);
    assert.equal(resumed.body.status, 'soaking');
    assert.equal(resumed.body.waveStartedAt, rig.clock.t);
    assert.ok(resumed.body.history.some((h: { event: string }) => h.event === 'resumed'));
    const twice = await api(rig.t, 'POST', `/api/rollouts/${ro.body.id}/resume`);
    assert.equal(twice.status, 409);
    assert.match(twice.body.message, /is soaking, not halted/);
    assert.equal((await listed()).rollingOutVersion, 2);

    // Rollback to v1 is one call; it completes only when every host acknowledged it.
    const rb = await api(rig.t, 'POST', '/api/policies/web/rollback', { version: 1, selector: 'role=web' });
    assert.equal(rb.status, 201);
    assert.equal(rb.body.status, 'soaking');
    assert.equal(rb.body.rollback, true);
    assert.equal((await api(rig.t, 'GET', `/api/rollouts/${ro.body.id}`)).body.status, 'cancelled');
    await hostsApplied('web@1', 10);
    await rig.fleet.tick();
    const done = (await api(rig.t, 'GET', `/api/rollouts/${rb.body.id}`)).body;
    assert.equal(done.status, 'completed');
    assert.equal(done.history.at(-1).detail, 'acknowledged by all 10 host(s)');
    assert.equal((await listed()).publishedVersion, 1);
    const audit = (await api(rig.t, 'GET', '/api/audit?action=')).body.entries.map((e: { action: string }) => e.action);
    for (const a of [
      'policy.created',
      'policy.edited',
      'policy.published',
      'rollout.halted',
      'rollout.resumed',
      'policy.rollback',
      'rollout.completed',
    ])
      assert.ok(audit.includes(a), `audit has ${a}`);
  } finally {
    for (const a of agents) await a.close();
    await rig.close();
  }
}

test('policy rollout (sqlite): versions with diff, waves behind a health gate, bad version halted, one-call rollback', () =>
  rolloutScenario());

test('policy rollout (postgres): same scenario', { skip: pgSkipReason }, async () => {
  const db = await createTestDatabase();
  try {
    await rolloutScenario(db.url);
  } finally {
    await db.drop();
  }
});

test('a first publish rolls back to no policy; a rollback that a host never acknowledges halts, naming it', async () => {
  const rig = await startFleet();
  const a = await startAgent(rig, 'solo-a', { role: 'solo' });
  const b = await startAgent(rig, 'solo-b', { role: 'solo' });
  try {
    await api(rig.t, 'POST', '/api/policies', { name: 'solo', source: V1 });
    const pub = await api(rig.t, 'POST', '/api/policies/solo/publish', { selector: 'role=solo', percents: [100] });
    assert.equal(pub.body.previousVersion, 'solo@0');
    await until(() => a.applied.length === 1 && b.applied.length === 1, 'v1 applied on both');
    await b.close();
    const rb = await api(rig.t, 'POST', `/api/rollouts/${pub.body.id}/rollback`);
    assert.equal(rb.status, 201);
    assert.deepEqual([rb.body.version, rb.body.status, rb.body.previousVersion], ['solo@0', 'soaking', 'solo@1']);
    await until(() => a.applied.length === 2, 'no policy applied on a');
    assert.deepEqual(a.applied[1]!.policies, []);
    await until(
      async () =>
        (await api(rig.t, 'GET', '/api/fleet/hosts')).body.hosts.some(
          (h: { policy: { applied: string } }) => h.policy.applied === 'solo@0',
        ),
      'a acknowledged',
    );
    await rig.fleet.tick();
    assert.equal((await api(rig.t, 'GET', `/api/rollouts/${rb.body.id}`)).body.status, 'soaking');
    rig.clock.t += 600_000;
    await rig.fleet.tick();
    const halted = (await api(rig.t, 'GET', `/api/rollouts/${rb.body.id}`)).body;
    assert.equal(halted.status, 'halted');
    assert.equal(halted.history.at(-1).detail, `1 of 2 host(s) did not acknowledge solo@0 within 600 s: ${b.agentId}`);
    const live = (await api(rig.t, 'GET', '/api/policies')).body.policies[0];
    assert.deepEqual([live.publishedVersion, live.rollingOutVersion], [null, null]); // v1 never completed (superseded)
  } finally {
    await a.close();
    await rig.close();
  }
});

test('agents refuse bundles signed with another key or tampered, report it, and keep the running policy', async () => {
  const rig = await startFleet();
  const agent = await startAgent(rig, 'db-1', { rack: 'r1' });
  try {
    await api(rig.t, 'POST', '/api/policies', { name: 'db', source: V1 });
    await api(rig.t, 'POST', '/api/policies/db/publish', { selector: '', percents: [100] });
    await until(() => agent.applied.length === 1, 'v1 applied');
    const rogue = generateKeyPairSync('ed25519').privateKey;
    const doc = agent.applied[0]! as unknown as Record<string, unknown>;
    await rig.t.cp.broker.publishCommand(
      agent.agentId,
      policyCommand({ policySet: 'db', version: 'db@9', issuedAt: rig.clock.t + 1, document: doc }, rogue),
    );
    const tampered = policyCommand(
      { policySet: 'db', version: 'db@10', issuedAt: rig.clock.t + 2, document: doc },
      rig.t.cp.signingKey.privateKey,
    );
    (tampered.bundle['payload'] as { version: string }).version = 'db@11';
    await rig.t.cp.broker.publishCommand(agent.agentId, tampered);
    await rig.t.cp.broker.publishCommand(agent.agentId, {
      v: 1,
      type: 'policy',
      bundle: {
        kind: 'policy-bundle',
        payload: { policySet: 'db', version: 'db@12', issuedAt: rig.clock.t + 3, document: doc },
      },
    });
    const host = await until(async () => {
      const h = (await api(rig.t, 'GET', '/api/fleet/hosts')).body.hosts[0];
      return h.errors.length === 3 ? h : null;
    }, 'three refusals in state');
    assert.deepEqual(host.policy, { intended: 'db@1', applied: 'db@1' });
    assert.deepEqual(
      host.errors.map((e: string) => e.match(/\((wrong-key|tampered|unsigned)\)/)?.[1]),
      ['wrong-key', 'tampered', 'unsigned'],
    );
    assert.equal(agent.applied.length, 1);
    assert.deepEqual(
      agent.events.filter((e) => e.type === 'fleet.bundle-refused').map((e) => e.data['reason']),
      ['wrong-key', 'tampered', 'unsigned'],
    );
  } finally {
    await agent.close();
    await rig.close();
  }
});

test('a bundle sent while the agent was away is sent again at its presence, not left to the ack timeout', async () => {
  const rig = await startFleet();
  try {
    const a = await startAgent(rig, 'web-away', { role: 'web' });
    assert.equal((await api(rig.t, 'POST', '/api/policies', { name: 'away', source: V1 })).status, 201);
    // The agent restarts: its clean session drops the command topic, so what is published now is lost.
    await a.client.unsubscribeAsync(commandTopic(a.agentId));
    const pub = await api(rig.t, 'POST', '/api/policies/away/publish', { version: 1, selector: 'role=web' });
    assert.equal(pub.status, 201, JSON.stringify(pub.body));
    // The rollout's send has happened (its intent is stored) and reached nobody.
    await until(
      async () => (await api(rig.t, 'GET', '/api/fleet/hosts')).body.hosts[0].policy.intended === 'away@1',
      'the rollout sent its wave',
    );
    assert.equal(a.applied.length, 0);
    // Back: subscribed again, it announces itself as the real agent does (agent/link/mqtt-link.ts).
    await a.client.subscribeAsync(commandTopic(a.agentId), { qos: 1 });
    await a.client.publishAsync(
      agentTopic(a.agentId, 'presence'),
      JSON.stringify({ v: 1, state: 'online', ts: rig.clock.t, agentVersion: '0.1.0' }),
      { qos: 1 },
    );
    await until(() => a.applied.length > 0, 'the bundle was sent again and applied');
    assert.equal(a.applied.at(-1)!.version, 'away@1');
    await until(
      async () => (await api(rig.t, 'GET', `/api/hosts/${a.agentId}`)).body.appliedPolicyVersion === 'away@1',
      'acknowledged',
    );
  } finally {
    await rig.close();
  }
});
