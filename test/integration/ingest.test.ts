import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agentTopic } from '../../contract/protocol/index.ts';
import {
  api,
  collectCommands,
  connectAgent,
  enroll,
  eventually,
  startTestControlPlane,
  telemetry,
  type TestControlPlane,
} from '../support/control-plane.ts';
import { createTestDatabase, pgSkipReason } from '../support/postgres.ts';

async function ingestScenario(t: TestControlPlane) {
  const a = await enroll(t, 'db-1');
  const c = await connectAgent(a.mqttUrl, a.agentId, a.secret);
  try {
    const cmds = await collectCommands(c, a.agentId);
    await c.publishAsync(agentTopic(a.agentId, 'telemetry'), telemetry([1, 2, 3]), { qos: 1 });
    assert.deepEqual(await cmds.next((x) => x.type === 'ack'), { v: 1, type: 'ack', ranges: [[1, 3]] });
    // Same seq again (an outbox re-send after a lost ack): stored once, acked again.
    await c.publishAsync(agentTopic(a.agentId, 'telemetry'), telemetry([3, 4]), { qos: 1 });
    assert.deepEqual(await cmds.next((x) => x.type === 'ack'), { v: 1, type: 'ack', ranges: [[3, 4]] });
    const events = JSON.stringify({
      v: 1,
      events: [
        {
          seq: 5,
          ts: Date.now(),
          type: 'heal.executed',
          severity: 'warning',
          message: 'restarted nginx',
          data: { unit: 'nginx' },
        },
      ],
    });
    await c.publishAsync(agentTopic(a.agentId, 'events'), events, { qos: 1 });
    await c.publishAsync(agentTopic(a.agentId, 'events'), events, { qos: 1 });
    assert.deepEqual(await cmds.next((x) => x.type === 'ack'), { v: 1, type: 'ack', ranges: [[5, 5]] });
    const samples = await api(t, 'GET', `/api/hosts/${a.agentId}/samples?order=asc`);
    assert.equal(samples.status, 200);
    assert.deepEqual(
      samples.body.samples.map((s: { seq: number }) => s.seq),
      [1, 2, 3, 4],
    );
    assert.deepEqual(samples.body.samples[0].features, { 'cpu.util': 0.5, 'mem.used': null });
    const ev = await eventually(async () => {
      const r = await api(t, 'GET', `/api/hosts/${a.agentId}/events`);
      return r.body.events.length ? r : null;
    });
    assert.deepEqual(
      ev.body.events.map((e: { seq: number; type: string }) => [e.seq, e.type]),
      [[5, 'heal.executed']],
    );
    assert.equal(t.cp.counters.get('ingest.samples.accepted'), 4);
    assert.equal(t.cp.counters.get('ingest.samples.duplicates'), 1);
    assert.equal(t.cp.counters.get('ingest.events.duplicates'), 1);
    // state + inventory update the host record
    await c.publishAsync(
      agentTopic(a.agentId, 'state'),
      JSON.stringify({ v: 1, ts: Date.now(), policyVersion: 'p-3', models: { anomaly: 'iforest@2' } }),
      { qos: 1 },
    );
    await c.publishAsync(
      agentTopic(a.agentId, 'inventory'),
      JSON.stringify({ v: 1, ts: Date.now(), hash: 'h1', inventory: { cpu: { cores: 8 } } }),
      { qos: 1 },
    );
    const host = await eventually(async () => {
      const r = await api(t, 'GET', `/api/hosts/${a.agentId}`);
      return r.body.inventoryHash === 'h1' && r.body.appliedPolicyVersion ? r.body : null;
    });
    assert.deepEqual(
      [host.appliedPolicyVersion, host.appliedModels, host.inventory, host.online],
      ['p-3', { anomaly: 'iforest@2' }, { cpu: { cores: 8 } }, true],
    );
  } finally {
    c.end(true);
  }
}

test('ingest (sqlite): idempotent on (agent, seq), acks exact ranges after commit, state and inventory', async () => {
  const t = await startTestControlPlane();
  try {
    await ingestScenario(t);
  } finally {
    await t.close();
  }
});

test('ingest (postgres): same scenario', { skip: pgSkipReason }, async () => {
  const db = await createTestDatabase();
  const t = await startTestControlPlane({ databaseUrl: db.url });
  try {
    await ingestScenario(t);
  } finally {
    await t.close();
    await db.drop();
  }
});

test('presence: online on connect, offline by last will on abrupt loss and on clean disconnect', async () => {
  const t = await startTestControlPlane();
  try {
    const a = await enroll(t, 'cache-1');
    const will = {
      topic: agentTopic(a.agentId, 'presence'),
      payload: Buffer.from(JSON.stringify({ v: 1, state: 'offline', ts: Date.now() })),
      qos: 1 as const,
      retain: true,
    };
    const c = await connectAgent(a.mqttUrl, a.agentId, a.secret, { will });
    await c.publishAsync(
      agentTopic(a.agentId, 'presence'),
      JSON.stringify({ v: 1, state: 'online', ts: Date.now(), agentVersion: '0.2.0' }),
      { qos: 1, retain: true },
    );
    const online = await eventually(async () => {
      const r = await api(t, 'GET', `/api/hosts/${a.agentId}`);
      return r.body.online && r.body.agentVersion === '0.2.0' ? r.body : null;
    });
    assert.ok(online.lastSeen);
    // Abrupt loss: destroy the socket without DISCONNECT, so the broker publishes the will.
    (c as unknown as { stream: { destroy(): void } }).stream.destroy();
    await eventually(async () => !(await api(t, 'GET', `/api/hosts/${a.agentId}`)).body.online);
    const c2 = await connectAgent(a.mqttUrl, a.agentId, a.secret);
    await eventually(async () => (await api(t, 'GET', `/api/hosts/${a.agentId}`)).body.online);
    await c2.endAsync();
    await eventually(async () => !(await api(t, 'GET', `/api/hosts/${a.agentId}`)).body.online);
  } finally {
    await t.close();
  }
});

test('retention: prune deletes samples older than the window', async () => {
  const t = await startTestControlPlane({ retention: '1h' });
  try {
    const a = await enroll(t, 'old-1');
    const c = await connectAgent(a.mqttUrl, a.agentId, a.secret);
    const cmds = await collectCommands(c, a.agentId);
    const old = Date.now() - 2 * 3_600_000;
    await c.publishAsync(agentTopic(a.agentId, 'telemetry'), telemetry([1, 2], old), { qos: 1 });
    await c.publishAsync(agentTopic(a.agentId, 'telemetry'), telemetry([3], Date.now()), { qos: 1 });
    await cmds.next((x) => JSON.stringify(x.ranges).includes('3'));
    await eventually(async () => (await api(t, 'GET', `/api/hosts/${a.agentId}/samples`)).body.samples.length === 3);
    assert.deepEqual(await t.cp.prune(), { samples: 2, events: 0 });
    assert.deepEqual(
      (await api(t, 'GET', `/api/hosts/${a.agentId}/samples`)).body.samples.map((s: { seq: number }) => s.seq),
      [3],
    );
    c.end(true);
  } finally {
    await t.close();
  }
});
