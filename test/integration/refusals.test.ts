import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { agentTopic, commandTopic, MAX_PAYLOAD_BYTES } from '../../contract/protocol/index.ts';
import {
  api,
  collectCommands,
  connectAgent,
  enroll,
  eventually,
  startTestControlPlane,
  telemetry,
} from '../support/control-plane.ts';

test('refusals: wrong secret, foreign topics, # subscription, revoked agent; other agents keep flowing', async () => {
  const t = await startTestControlPlane();
  try {
    const a = await enroll(t, 'a-1');
    const b = await enroll(t, 'b-1');
    const cb = await connectAgent(b.mqttUrl, b.agentId, b.secret);
    const bCmds = await collectCommands(cb, b.agentId);

    await assert.rejects(connectAgent(a.mqttUrl, a.agentId, 'wrong-secret'), /Bad username or password/);
    await assert.rejects(connectAgent(a.mqttUrl, a.agentId, 'wrong-secret'), /Bad username or password/);
    assert.equal(t.cp.counters.get('broker.auth.refused.bad-secret'), 2);
    await assert.rejects(connectAgent(a.mqttUrl, 'someone-else', a.secret, { username: a.agentId }), /Not authorized/);
    assert.equal(t.cp.counters.get('broker.auth.refused.client-id-mismatch'), 1);

    // Subscribing to '#' or another agent's command topic: SUBACK failure, session stays.
    const ca = await connectAgent(a.mqttUrl, a.agentId, a.secret);
    // mqtt.js reports a SUBACK failure code as an error but still hands over the granted list.
    const suback = await new Promise<number[]>((resolve) =>
      ca
        .once('packetreceive', (p) => {
          if (p.cmd === 'suback') resolve(p.granted as number[]);
        })
        .subscribe(['#', commandTopic(b.agentId), 'homeostat/v1/fleet/#'], () => {}),
    );
    assert.deepEqual(suback, [128, 128, 0]);
    assert.equal(t.cp.counters.get('broker.subscribe.refused.forbidden-filter'), 1);
    assert.equal(t.cp.counters.get('broker.subscribe.refused.foreign-command-topic'), 1);

    // Publishing as another agent: refused and disconnected; nothing stored for b from a.
    const closed = new Promise<void>((r) => ca.once('close', () => r()));
    ca.publish(agentTopic(b.agentId, 'telemetry'), telemetry([99]), { qos: 1 });
    await closed;
    ca.end(true);
    assert.equal(t.cp.counters.get('broker.publish.refused.foreign-topic'), 1);

    // b keeps flowing.
    await cb.publishAsync(agentTopic(b.agentId, 'telemetry'), telemetry([1]), { qos: 1 });
    assert.deepEqual(await bCmds.next((x) => x.type === 'ack'), { v: 1, type: 'ack', ranges: [[1, 1]] });
    assert.deepEqual(
      (await api(t, 'GET', `/api/hosts/${b.agentId}/samples`)).body.samples.map((s: { seq: number }) => s.seq),
      [1],
    );

    // Revocation disconnects a live session at once and refuses reconnects.
    const ca2 = await connectAgent(a.mqttUrl, a.agentId, a.secret);
    const gone = new Promise<void>((r) => ca2.once('close', () => r()));
    const rev = await api(t, 'POST', `/api/hosts/${a.agentId}/revoke`);
    assert.equal(rev.status, 200);
    assert.ok(rev.body.revokedAt);
    await gone;
    ca2.end(true);
    await assert.rejects(connectAgent(a.mqttUrl, a.agentId, a.secret), /Not authorized/);
    assert.equal(t.cp.counters.get('broker.auth.refused.revoked'), 1);
    assert.equal((await api(t, 'POST', '/api/hosts/nope-nope/revoke')).status, 404);

    await cb.publishAsync(agentTopic(b.agentId, 'telemetry'), telemetry([2]), { qos: 1 });
    assert.deepEqual(await bCmds.next((x) => x.type === 'ack'), { v: 1, type: 'ack', ranges: [[2, 2]] });
    cb.end(true);
  } finally {
    await t.close();
  }
});

test('enrollment tokens: expired, used-up, revoked and unknown are refused with a clear error', async () => {
  const t = await startTestControlPlane();
  try {
    const req = (token: string) => api(t, 'POST', '/api/enroll', { token, hostname: 'h', agentVersion: '0.1.0' }, null);
    const once = await api(t, 'POST', '/api/tokens', { uses: 1, labels: { env: 'prod' } });
    assert.equal(once.status, 201);
    assert.match(once.body.token, /^het_et-[0-9a-f]{20}\.[A-Za-z0-9_-]+$/);
    const ok = await api(
      t,
      'POST',
      '/api/enroll',
      { token: once.body.token, hostname: 'h1', agentVersion: '0.1.0', labels: { env: 'dev', role: 'web' } },
      null,
    );
    assert.equal(ok.status, 201);
    assert.deepEqual(Object.keys(ok.body).sort(), [
      'agentId',
      'labels',
      'mqttUrl',
      'overriddenLabels',
      'publicKey',
      'secret',
      'wsUrl',
    ]);
    assert.deepEqual(ok.body.labels, { env: 'prod', role: 'web' });
    assert.deepEqual(
      ok.body.overriddenLabels,
      { env: { requested: 'dev', applied: 'prod' } },
      'the token won, and the answer says so',
    );
    assert.match(ok.body.publicKey, /^-----BEGIN PUBLIC KEY-----/);
    assert.equal(ok.body.mqttUrl, t.urls.mqttUrl);
    const used = await req(once.body.token);
    assert.deepEqual([used.status, used.body.error, used.body.reason], [409, 'conflict', 'token-used-up']);
    assert.match(used.body.message, /is used up \(1 uses\)/);

    const short = await api(t, 'POST', '/api/tokens', { ttl: '1ms' });
    await new Promise((r) => setTimeout(r, 5));
    const expired = await req(short.body.token);
    assert.deepEqual([expired.status, expired.body.reason], [409, 'token-expired']);

    const rev = await api(t, 'POST', '/api/tokens', { uses: 5 });
    assert.equal((await api(t, 'DELETE', `/api/tokens/${rev.body.id}`)).body.state, 'revoked');
    const revoked = await req(rev.body.token);
    assert.deepEqual([revoked.status, revoked.body.reason], [409, 'token-revoked']);

    const bogus = await req('het_et-00000000000000000000.nope');
    assert.deepEqual([bogus.status, bogus.body.error], [401, 'unauthenticated']);
    const bad = await api(t, 'POST', '/api/enroll', { hostname: '' }, null);
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.issues.map((i: { path: string }) => i.path).sort(), [
      'agentVersion',
      'hostname',
      'token',
    ]);

    const list = await api(t, 'GET', '/api/tokens');
    assert.deepEqual(
      list.body.tokens.map((x: { state: string }) => x.state),
      ['used-up', 'expired', 'revoked'],
    );
    assert.equal(JSON.stringify(list.body).includes('tokenHash'), false);
    assert.equal((await api(t, 'GET', '/api/tokens', undefined, null)).status, 401);
    assert.equal((await api(t, 'GET', '/api/hosts', undefined, 'hat_at-x.y')).status, 401);
  } finally {
    await t.close();
  }
});

test('bad input: random bytes, wrong schema, oversized, unknown topic are rejected and counted; broker keeps serving', async () => {
  const t = await startTestControlPlane();
  try {
    const a = await enroll(t, 'fuzz-1');
    const b = await enroll(t, 'ok-1');
    const ca = await connectAgent(a.mqttUrl, a.agentId, a.secret);
    const aCmds = await collectCommands(ca, a.agentId);
    const cb = await connectAgent(b.mqttUrl, b.agentId, b.secret);
    const bCmds = await collectCommands(cb, b.agentId);
    for (let i = 0; i < 20; i++)
      await ca.publishAsync(agentTopic(a.agentId, 'telemetry'), randomBytes(64 + i), { qos: 1 });
    await ca.publishAsync(
      agentTopic(a.agentId, 'telemetry'),
      JSON.stringify({ v: 1, samples: [{ seq: 7, ts: -1, schema: 'x', features: {} }] }),
      { qos: 1 },
    );
    await ca.publishAsync(agentTopic(a.agentId, 'presence'), JSON.stringify({ v: 2, state: 'maybe' }), { qos: 1 });
    await ca.publishAsync(agentTopic(a.agentId, 'events'), Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x20), { qos: 1 });
    // A schema-invalid sample with a readable seq is acked as rejected for good (the outbox must not retry it forever).
    assert.deepEqual(await aCmds.next((x) => x.type === 'ack'), {
      v: 1,
      type: 'ack',
      ranges: [[7, 7]],
      rejected: [{ seq: 7, reason: 'schema: samples.0.ts: Too small: expected number to be >=0' }],
    });
    assert.equal(t.cp.counters.get('broker.payload.rejected.not-json'), 20);
    assert.equal(t.cp.counters.get('broker.payload.rejected.schema'), 2);
    assert.equal(t.cp.counters.get('broker.payload.rejected.oversized'), 1);
    // Still connected and served after all that.
    await ca.publishAsync(agentTopic(a.agentId, 'telemetry'), telemetry([8]), { qos: 1 });
    assert.deepEqual(await aCmds.next((x) => x.type === 'ack'), { v: 1, type: 'ack', ranges: [[8, 8]] });
    // Unknown topic: refused and the client disconnected.
    const closed = new Promise<void>((r) => ca.once('close', () => r()));
    ca.publish('homeostat/v1/whatever', 'x', { qos: 1 });
    await closed;
    ca.end(true);
    assert.equal(t.cp.counters.get('broker.publish.refused.unknown-topic'), 1);
    await cb.publishAsync(agentTopic(b.agentId, 'telemetry'), telemetry([1]), { qos: 1 });
    assert.deepEqual(await bCmds.next((x) => x.type === 'ack'), { v: 1, type: 'ack', ranges: [[1, 1]] });
    assert.deepEqual(
      (await api(t, 'GET', `/api/hosts/${a.agentId}/samples`)).body.samples.map((s: { seq: number }) => s.seq),
      [8],
    );
    cb.end(true);
    assert.equal((await api(t, 'GET', '/healthz', undefined, null)).body.status, 'ok');
  } finally {
    await t.close();
  }
});

test('over WebSocket: an agent connects, publishes and gets its ack', async () => {
  const t = await startTestControlPlane();
  try {
    const a = await enroll(t, 'ws-1');
    const c = await connectAgent(a.wsUrl, a.agentId, a.secret);
    const cmds = await collectCommands(c, a.agentId);
    await c.publishAsync(agentTopic(a.agentId, 'telemetry'), telemetry([1, 2]), { qos: 1 });
    assert.deepEqual(await cmds.next(), { v: 1, type: 'ack', ranges: [[1, 2]] });
    c.end(true);
    await eventually(async () => t.cp.counters.get('ingest.samples.accepted') === 2);
  } finally {
    await t.close();
  }
});
