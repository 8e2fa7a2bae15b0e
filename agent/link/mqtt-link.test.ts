import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import mqtt from 'mqtt';
import { commandTopic, fleetTopic } from '../../contract/protocol/index.ts';
import { secretIdOf } from '../../contract/protocol/secret-id.ts';
import { createLink } from './mqtt-link.ts';
import { createMemoryOutbox } from './outbox/memory-store.ts';
import { startIngest, startTestBroker, until } from '../testing/test-broker.ts';

const logger = pino({ level: 'silent' });
const agentId = 'agent-test-1';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
});

async function setup(opts: { autoAck: boolean; windowRecords?: number; batch?: { maxRecords?: number } }) {
  const broker = await startTestBroker();
  cleanups.push(() => broker.close());
  const ingest = await startIngest(broker.url, agentId, { autoAck: opts.autoAck });
  cleanups.push(() => ingest.close());
  const outbox = createMemoryOutbox({ maxBytes: 1e8, maxRecords: 1e6 });
  const link = createLink({
    agentId,
    secret: 's',
    mqttUrl: broker.url,
    agentVersion: '0.1.0',
    outbox,
    logger,
    backoff: { baseMs: 20, capMs: 200 },
    windowRecords: opts.windowRecords,
    batch: opts.batch,
  });
  cleanups.push(() => link.stop());
  return { broker, ingest, outbox, link };
}
const sample = (i: number) => ({ ts: 1_700_000_000_000 + i, schema: 'v1', features: { 'cpu.util': i } });

describe('MQTT link against a real Aedes broker', () => {
  it('announces online presence (retained), publishes in seq order, and drops records only on ack', async () => {
    const { ingest, outbox, link } = await setup({ autoAck: false });
    for (let i = 1; i <= 5; i++) outbox.append('telemetry', sample(i));
    outbox.append('event', { ts: 1, type: 'agent.started', severity: 'info', data: {} });
    link.start();
    await until(() => ingest.seqs.length === 6, 5000, 'six records');
    const presence = ingest.messages.find((m) => m.topic.endsWith('/presence'))!;
    assert.equal(presence.body.state, 'online');
    assert.equal(presence.body.agentVersion, '0.1.0');
    const telemetry = ingest.messages.find((m) => m.topic === `homeostat/v1/agents/${agentId}/telemetry`)!;
    assert.deepEqual(telemetry.body, { v: 1, samples: [1, 2, 3, 4, 5].map((i) => ({ seq: i, ...sample(i) })) });
    const events = ingest.messages.find((m) => m.topic.endsWith('/events'))!;
    assert.deepEqual(events.body.events, [{ seq: 6, ts: 1, type: 'agent.started', severity: 'info', data: {} }]);
    assert.equal(outbox.stats().depth, 6, 'puback alone does not drop records');
    await ingest.ack([
      [1, 3],
      [6, 6],
    ]);
    await until(() => outbox.stats().depth === 2, 2000, 'ack applied');
    assert.deepEqual(
      outbox.peek(10).map((r) => r.seq),
      [4, 5],
    );
    assert.equal(link.status().lastAckSeq, 6);
    // A range reaching past what this agent ever issued does not make the status claim unissued seqs.
    await ingest.ack([[4, 500]]);
    await until(() => outbox.stats().depth === 0, 2000, 'second ack applied');
    assert.equal(link.status().lastAckSeq, 6);
  });

  it('bounds the in-flight window until acks arrive', async () => {
    const { ingest, outbox, link } = await setup({ autoAck: false, windowRecords: 10, batch: { maxRecords: 4 } });
    for (let i = 1; i <= 30; i++) outbox.append('telemetry', sample(i));
    link.start();
    await until(() => ingest.seqs.length >= 10, 3000, 'first window');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(ingest.seqs, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 'three batches of 4 fill the window of 10');
    await ingest.ack([[1, 12]]);
    await until(() => ingest.seqs.length >= 24, 3000, 'second window');
    assert.deepEqual(ingest.seqs.slice(12, 24), [13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
  });

  it('replays every unacked record in order after the broker crashes and comes back', async () => {
    const { broker, ingest, outbox, link } = await setup({ autoAck: true });
    link.start();
    for (let i = 1; i <= 20; i++) {
      outbox.append('telemetry', sample(i));
      link.notify();
    }
    await until(() => outbox.stats().depth === 0, 5000, 'first 20 acked');
    await broker.kill();
    await until(() => link.status().state !== 'connected', 3000, 'link notices');
    for (let i = 21; i <= 60; i++) {
      outbox.append('telemetry', sample(i));
      link.notify();
    }
    assert.equal(outbox.stats().depth, 40);
    await broker.revive();
    const ingest2 = await startIngest(broker.url, agentId, { autoAck: true });
    cleanups.push(() => ingest2.close());
    await until(() => outbox.stats().depth === 0, 10_000, 'replay acked');
    const seen = new Set([...ingest.seqs, ...ingest2.seqs]);
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      Array.from({ length: 60 }, (_, i) => i + 1),
    );
    const replayed = ingest2.seqs.filter((s) => s > 20);
    assert.deepEqual(
      replayed,
      [...replayed].sort((a, b) => a - b),
      'replay is in seq order',
    );
    assert.ok(link.status().reconnects >= 1);
  });

  it('leaves a retained offline presence as its last will when the connection dies', async () => {
    const { broker, ingest, link } = await setup({ autoAck: true });
    link.start();
    await until(() => link.status().state === 'connected', 3000, 'connected');
    // Ungraceful close from the broker side: the will fires.
    await new Promise<void>(
      (resolve) =>
        broker.broker.once('clientDisconnect', () => resolve()) &&
        (broker.broker as any).clients[agentId].conn.destroy(),
    );
    await until(
      () => ingest.messages.some((m) => m.topic.endsWith('/presence') && m.body.state === 'offline'),
      3000,
      'offline will',
    );
    const late = await mqtt.connectAsync(broker.url, { clientId: 'late' });
    cleanups.push(() => late.endAsync());
    const retained: string[] = [];
    late.on('message', (_t, p, packet) => packet.retain && retained.push(JSON.parse(p.toString()).state));
    await late.subscribeAsync(`homeostat/v1/agents/${agentId}/presence`, { qos: 1 });
    await until(() => retained.length > 0, 2000, 'retained presence');
    // After the reconnect the online presence replaces the will.
    await until(() => retained.at(-1) === 'online' || link.status().state === 'connected', 3000);
  });

  it('dispatches commands by type to registered handlers and ignores invalid ones', async () => {
    const { broker, link, outbox } = await setup({ autoAck: false });
    const got: unknown[] = [];
    link.handle('pause', (c) => void got.push(c));
    link.start();
    await until(() => link.status().state === 'connected', 3000, 'connected');
    const cp = await mqtt.connectAsync(broker.url, { clientId: 'cp' });
    cleanups.push(() => cp.endAsync());
    await cp.publishAsync(commandTopic(agentId), 'not json', { qos: 1 });
    await cp.publishAsync(commandTopic(agentId), JSON.stringify({ v: 1, type: 'nope' }), { qos: 1 });
    await cp.publishAsync(fleetTopic('all'), JSON.stringify({ v: 1, type: 'ack', ranges: [[1, 1]] }), { qos: 1 });
    await cp.publishAsync(
      fleetTopic('all'),
      JSON.stringify({ v: 1, type: 'pause', until: null, reason: 'maintenance' }),
      { qos: 1 },
    );
    await until(() => got.length === 1, 3000, 'pause handled');
    assert.deepEqual(got[0], { v: 1, type: 'pause', actions: [], until: null, reason: 'maintenance' });
    outbox.append('telemetry', sample(1));
    assert.equal(outbox.stats().depth, 1, 'a fleet-topic ack is not honoured');
  });

  it('names its newest secret in presence; a rotation to the secret it is connected with does not reconnect', async () => {
    const { ingest, outbox, link } = await setup({ autoAck: false });
    const online = () => ingest.messages.filter((m) => m.topic.endsWith('/presence') && m.body.state === 'online');
    link.start();
    await until(() => online().length === 1, 5000, 'online presence');
    assert.equal(online()[0]!.body.secretId, secretIdOf('s'));
    const next = 'the-rotated-secret-of-this-agent';
    link.rotateSecret(next, 's');
    await until(() => online().length === 2, 5000, 'online again after the rotation');
    assert.equal(online()[1]!.body.secretId, secretIdOf(next));
    assert.equal(link.status().reconnects, 1);
    link.rotateSecret(next, 's'); // the same rotation sent again
    outbox.append('telemetry', sample(1));
    link.notify();
    await until(() => ingest.seqs.includes(1), 5000, 'a record over the same connection');
    assert.equal(link.status().reconnects, 1, 'no reconnect');
    assert.equal(online().length, 2);
  });

  it('publishes inventory at connect and again only when its hash changes', async () => {
    const { ingest, link } = await setup({ autoAck: true });
    link.setInventory({ os: { platform: 'linux' }, cpu: { cores: 2 } });
    link.start();
    const inv = () => ingest.messages.filter((m) => m.topic.endsWith('/inventory'));
    await until(() => inv().length === 1, 3000, 'inventory');
    link.setInventory({ cpu: { cores: 2 }, os: { platform: 'linux' } }); // same content, other key order
    link.setInventory({ cpu: { cores: 4 }, os: { platform: 'linux' } });
    await until(() => inv().length === 2, 3000, 'changed inventory');
    assert.equal(inv()[1]!.body.inventory.cpu.cores, 4);
    assert.notEqual(inv()[0]!.body.hash, inv()[1]!.body.hash);
  });
});
