/**
 * Host cordons at the boundary, against the real control plane with the fleet module (Aedes, SQLite, HTTP on
 * loopback) and simulated agents over MQTT: the cordon/uncordon routes (status and body per role and bad input, the
 * audit trail), an agent's exact `heal.cordon` event through the broker (SQLite and PostgreSQL), and policy and model rollouts that leave a
 * cordoned host out, and a policy rollout that picks it again once uncordoned.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { agentTopic } from '../../contract/protocol/index.ts';
import { collectCommands } from '../support/control-plane.ts';
import { createTestDatabase, pgSkipReason } from '../support/postgres.ts';
import { api, startAgent, startFleet, until, type FleetRig } from './fleet-harness.ts';

const onnx = readFileSync(new URL('../../models/anomaly/anomaly-uni.onnx', import.meta.url));
const card = readFileSync(new URL('../../models/anomaly/anomaly-uni.card.json', import.meta.url), 'utf8');
const POLICY = `policies:
  - name: restart-nginx
    when: { service: nginx, for: 10s }
    do: [ { type: restart-service, service: nginx } ]
`;

async function tokenFor(rig: FleetRig, role: 'operator' | 'viewer'): Promise<string> {
  const u = await api(rig.t, 'POST', '/api/users', { username: `${role}-1`, password: `${role}-password-123`, role });
  assert.equal(u.status, 201);
  return (await api(rig.t, 'POST', `/api/users/${u.body.id}/tokens`, { name: 'ci', role })).body.token;
}

test('cordon API: operator cordons and uncordons (idempotent, audited); viewer 403; bad input 400; 404; 409', async () => {
  const rig = await startFleet();
  const a = await startAgent(rig, 'db-1', { rack: 'r1' });
  const gone = await startAgent(rig, 'db-2', { rack: 'r1' });
  try {
    const [operator, viewer] = [await tokenFor(rig, 'operator'), await tokenFor(rig, 'viewer')];
    const path = `/api/hosts/${a.agentId}`;
    assert.equal((await api(rig.t, 'GET', path, undefined, viewer)).body.cordon, null);

    const refused = await api(rig.t, 'POST', `${path}/cordon`, { reason: 'x' }, viewer);
    assert.deepEqual([refused.status, refused.body.error, refused.body.needed], [403, 'forbidden', 'operator']);
    for (const [body, message] of [
      [{}, /reason: reason is required: why the host is cordoned/],
      [{ reason: '   ' }, /reason: reason must not be empty/],
      [{ reason: 'x'.repeat(501) }, /reason: reason is at most 500 characters/],
      ['not json', /body must be JSON/],
    ] as const) {
      const bad = await api(rig.t, 'POST', `${path}/cordon`, body, operator);
      assert.equal(bad.status, 400, JSON.stringify(bad.body));
      assert.equal(bad.body.error, 'validation');
      assert.match(bad.body.message, message);
    }
    const unknown = await api(rig.t, 'POST', '/api/hosts/no-such-host/cordon', { reason: 'x' }, operator);
    assert.deepEqual([unknown.status, unknown.body.kind, unknown.body.id], [404, 'host', 'no-such-host']);

    const c1 = await api(rig.t, 'POST', `${path}/cordon`, { reason: ' disk swap on Tuesday ' }, operator);
    assert.equal(c1.status, 200);
    assert.deepEqual(
      { ...c1.body.cordon, at: typeof c1.body.cordon.at },
      {
        at: 'string',
        by: 'operator-1',
        source: 'user',
        reason: 'disk swap on Tuesday',
      },
    );
    // Again (the admin this time, another reason): 200, the first who/why/since stay.
    const c2 = await api(rig.t, 'POST', `${path}/cordon`, { reason: 'other' });
    assert.deepEqual([c2.status, c2.body.cordon], [200, c1.body.cordon]);
    const listed = (await api(rig.t, 'GET', '/api/hosts', undefined, viewer)).body.hosts;
    assert.deepEqual(
      listed.filter((h: { cordon: unknown }) => h.cordon).map((h: { id: string }) => h.id),
      [a.agentId],
    );
    // The rollout view (GET /api/fleet/hosts) says the same.
    const versions = (await api(rig.t, 'GET', '/api/fleet/hosts', undefined, viewer)).body.hosts;
    assert.deepEqual(
      versions.map((h: { id: string; cordon: unknown }) => [h.id, h.cordon]).filter(([, c]: unknown[]) => c),
      [[a.agentId, c1.body.cordon]],
    );

    const u1 = await api(rig.t, 'POST', `${path}/uncordon`, undefined, operator);
    assert.deepEqual([u1.status, u1.body.id, u1.body.cordon], [200, a.agentId, null]);
    assert.deepEqual((await api(rig.t, 'POST', `${path}/uncordon`, undefined, operator)).status, 200);
    assert.equal((await api(rig.t, 'POST', '/api/hosts/no-such-host/uncordon', undefined, operator)).status, 404);

    await api(rig.t, 'POST', `/api/hosts/${gone.agentId}/revoke`);
    const revoked = await api(rig.t, 'POST', `/api/hosts/${gone.agentId}/cordon`, { reason: 'x' }, operator);
    assert.deepEqual([revoked.status, revoked.body.error, revoked.body.reason], [409, 'conflict', 'host-revoked']);

    const trail = async (action: string) =>
      (
        (await api(rig.t, 'GET', `/api/audit?target=${encodeURIComponent(`${path}/${action}`)}`)).body.entries as {
          actor: string;
          action: string;
          detail: { status: number };
        }[]
      ).map((e) => `${e.actor} ${e.action} ${e.detail.status}`);
    assert.deepEqual(await trail('cordon'), [
      'user:operator-1 POST /api/hosts/:id/cordon 400',
      'user:operator-1 POST /api/hosts/:id/cordon 400',
      'user:operator-1 POST /api/hosts/:id/cordon 400',
      'user:operator-1 POST /api/hosts/:id/cordon 400',
      'user:operator-1 POST /api/hosts/:id/cordon 200',
      'user:admin POST /api/hosts/:id/cordon 200',
    ]);
    assert.deepEqual(await trail('uncordon'), [
      'user:operator-1 POST /api/hosts/:id/uncordon 200',
      'user:operator-1 POST /api/hosts/:id/uncordon 200',
    ]);
  } finally {
    await a.close();
    await gone.close();
    await rig.close();
  }
});

/** An agent's exact heal.cordon event through the broker, stored by the database at `databaseUrl` (SQLite without). */
async function cordonOverMqtt(databaseUrl?: string): Promise<void> {
  const rig = await startFleet({}, databaseUrl);
  const a = await startAgent(rig, 'web-1', { rack: 'r1' });
  try {
    const cmds = await collectCommands(a.client, a.agentId);
    const payload = JSON.stringify({
      v: 1,
      events: [
        {
          seq: 7,
          ts: Date.now(),
          type: 'heal.cordon',
          severity: 'critical',
          message: 'drain this host: disk sda failing',
          data: { policy: 'disk-failing', incident: 'inc-1' },
        },
      ],
    });
    await a.client.publishAsync(agentTopic(a.agentId, 'events'), payload, { qos: 1 });
    assert.deepEqual(await cmds.next((x) => x.type === 'ack'), { v: 1, type: 'ack', ranges: [[7, 7]] });
    const host = (await api(rig.t, 'GET', `/api/hosts/${a.agentId}`)).body;
    assert.deepEqual(
      { ...host.cordon, at: typeof host.cordon.at },
      {
        at: 'string',
        by: a.agentId,
        source: 'agent',
        reason: 'drain this host: disk sda failing',
      },
    );
    assert.equal(rig.t.cp.counters.get('hosts.cordoned.by-agent'), 1);

    assert.equal((await api(rig.t, 'POST', `/api/hosts/${a.agentId}/uncordon`)).status, 200);
    // The same event again (an outbox re-send after a lost ack): acked, not cordoned again.
    await a.client.publishAsync(agentTopic(a.agentId, 'events'), payload, { qos: 1 });
    assert.deepEqual(await cmds.next((x) => x.type === 'ack'), { v: 1, type: 'ack', ranges: [[7, 7]] });
    assert.equal((await api(rig.t, 'GET', `/api/hosts/${a.agentId}`)).body.cordon, null);
    assert.equal(rig.t.cp.counters.get('hosts.cordoned.by-agent'), 1);
    // Audited once, as the agent's own action.
    const audited = await until(async () => {
      const target = encodeURIComponent(`/api/hosts/${a.agentId}/cordon`);
      const entries = (await api(rig.t, 'GET', `/api/audit?target=${target}&action=host.cordoned`)).body.entries;
      return entries.length ? entries : null;
    }, 'the agent cordon audit entry');
    assert.deepEqual(
      audited.map((e: { actor: string; actorType: string; detail: { reason: string; source: string } }) => [
        e.actor,
        e.actorType,
        e.detail.source,
        e.detail.reason,
      ]),
      [[`agent:${a.agentId}`, 'agent', 'agent', 'drain this host: disk sda failing']],
    );
  } finally {
    await a.close();
    await rig.close();
  }
}

const CORDON_OVER_MQTT = 'heal.cordon over MQTT cordons the host (source agent, reason = message); a re-send does not';
test(`${CORDON_OVER_MQTT} (SQLite)`, () => cordonOverMqtt());

test(`${CORDON_OVER_MQTT} (PostgreSQL)`, { skip: pgSkipReason }, async () => {
  const db = await createTestDatabase();
  try {
    await cordonOverMqtt(db.url);
  } finally {
    await db.drop();
  }
});

test('policy and model rollouts leave a cordoned host out and say so; uncordoned, the next rollout reaches it', async () => {
  const rig = await startFleet();
  const agents = [];
  try {
    for (let i = 0; i < 3; i++) agents.push(await startAgent(rig, `web-${i}`, { role: 'web' }));
    const [c, ...rest] = agents as [(typeof agents)[0], ...typeof agents];
    await api(rig.t, 'POST', `/api/hosts/${c.agentId}/cordon`, { reason: 'kernel upgrade' });
    assert.equal((await api(rig.t, 'POST', '/api/policies', { name: 'web', source: POLICY })).status, 201);
    const dry = await api(rig.t, 'POST', '/api/policies/web/dry-run', { selector: 'role=web' });
    assert.deepEqual(
      [dry.status, dry.body.hosts.sort(), dry.body.cordoned],
      [200, rest.map((a) => a.agentId).sort(), [c.agentId]],
    );
    const pub = await api(rig.t, 'POST', '/api/policies/web/publish', { version: 1, percents: [100], soak: '1s' });
    assert.equal(pub.status, 201);
    assert.deepEqual(pub.body.skippedCordoned, [c.agentId]);
    assert.deepEqual(pub.body.waves.flat().sort(), rest.map((a) => a.agentId).sort());
    assert.ok(
      pub.body.history.some(
        (h: { event: string; detail?: string }) =>
          h.event === 'cordoned host(s) skipped: not planned' && h.detail === `1 host(s): ${c.agentId}`,
      ),
    );
    await until(async () => rest.every((a) => a.applied.length === 1), 'the uncordoned hosts apply web@1');
    assert.deepEqual(
      c.commands.filter((x) => x.type === 'policy'),
      [],
    );

    // A model rollout (the same planning as agent-version rollouts) leaves it out too.
    const form = new FormData();
    form.set('file', new File([new Uint8Array(onnx)], 'model.onnx'));
    form.set('card', card);
    const up = await fetch(`${rig.t.urls.httpUrl}/api/models`, {
      method: 'POST',
      headers: { authorization: `Bearer ${rig.t.adminToken}` },
      body: form,
    });
    assert.equal(up.status, 201);
    const model = (await up.json()) as { id: string };
    const mro = await api(rig.t, 'POST', `/api/models/${model.id}/publish`, { percents: [100] });
    assert.equal(mro.status, 201, JSON.stringify(mro.body));
    assert.deepEqual([mro.body.kind, mro.body.skippedCordoned], ['model', [c.agentId]]);
    assert.ok(!mro.body.waves.flat().includes(c.agentId));

    // Uncordoned: the next rollout (web@2, superseding the first) reaches it.
    await api(rig.t, 'POST', `/api/hosts/${c.agentId}/uncordon`);
    assert.equal((await api(rig.t, 'PUT', '/api/policies/web', { source: POLICY.replace('10s', '20s') })).status, 201);
    const next = await api(rig.t, 'POST', '/api/policies/web/publish', { version: 2, percents: [100], soak: '1s' });
    assert.equal(next.status, 201, JSON.stringify(next.body));
    assert.deepEqual(next.body.waves.flat().sort(), agents.map((a) => a.agentId).sort());
    assert.equal(next.body.skippedCordoned, undefined);
    await until(async () => c.applied.at(-1)?.version === 'web@2', 'the uncordoned host applies web@2');
  } finally {
    for (const a of agents) await a.close();
    await rig.close();
  }
});
