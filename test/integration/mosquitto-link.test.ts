// The agent's link and SQLite outbox against an independent broker (mosquitto), with this test acting as the
// control plane: it subscribes to agent telemetry and sends `ack` commands with seq ranges. Proves the delivery
// contract does not depend on Aedes: QoS 1 in seq order, only acked records leave the outbox, unacked ones are
// replayed after a reconnect and after a restart.
//
// Needs HOMEOSTAT_TEST_MOSQUITTO_URL (CI: mosquitto on 127.0.0.1:18830, anonymous). Locally:
//   mosquitto -p 18830 -d
//   HOMEOSTAT_TEST_MOSQUITTO_URL=mqtt://127.0.0.1:18830 node --import tsx --test test/integration/mosquitto-link.test.ts
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { agentTopic, commandTopic } from '../../contract/protocol/index.ts';
import { createLink, type Link } from '../../agent/link/mqtt-link.ts';
import { openSqliteOutbox } from '../../agent/link/outbox/sqlite-store.ts';
import type { OutboxStore } from '../../agent/link/outbox/store.ts';
import { until } from '../../agent/testing/test-broker.ts';

const BROKER = process.env.HOMEOSTAT_TEST_MOSQUITTO_URL;
const skip: string | false = BROKER
  ? false
  : 'HOMEOSTAT_TEST_MOSQUITTO_URL is not set (CI starts mosquitto on 127.0.0.1:18830 with anonymous access; locally: mosquitto -p 18830 -d); mosquitto link tests skipped';
const TELEMETRY_WILDCARD = 'homeostat/v1/agents/+/telemetry';
const logger = pino({ level: 'silent' });

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  while (cleanups.length)
    await Promise.resolve()
      .then(cleanups.pop()!)
      .catch(() => undefined);
});

type Received = { topic: string; qos: number; retain: boolean; body: { v: number; samples: { seq: number }[] } };

/** The test's stand-in for the control plane: watches every agent's telemetry, keeps this agent's, sends acks. */
async function fakeControlPlane(url: string, agentId: string) {
  const client: MqttClient = await mqtt.connectAsync(url, {
    clientId: `cp-${randomBytes(6).toString('hex')}`,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
  const received: Received[] = [];
  client.on('message', (topic, payload, packet) => {
    if (topic !== agentTopic(agentId, 'telemetry')) return; // a shared CI broker may carry other runs
    received.push({ topic, qos: packet.qos, retain: packet.retain, body: JSON.parse(payload.toString()) });
  });
  // Granted QoS 2, so a delivered message's QoS is exactly the QoS the agent published with.
  const granted = await client.subscribeAsync(TELEMETRY_WILDCARD, { qos: 2 });
  assert.deepEqual(
    granted.map((g) => [g.topic, g.qos]),
    [[TELEMETRY_WILDCARD, 2]],
  );
  return {
    received,
    seqs: () => received.flatMap((m) => m.body.samples.map((s) => s.seq)),
    ack: (ranges: [number, number][]) =>
      client.publishAsync(commandTopic(agentId), JSON.stringify({ v: 1, type: 'ack', ranges }), { qos: 1 }),
    async close() {
      // Leave nothing retained behind on a shared broker (the link's presence is retained).
      await client.publishAsync(agentTopic(agentId, 'presence'), '', { qos: 1, retain: true });
      await client.endAsync();
    },
  };
}

const sample = (i: number) => ({
  ts: 1_700_000_000_000 + i * 1000,
  schema: 'hs-features/1',
  features: { 'cpu.util_pct': i, 'mem.used_pct': null },
  collectors: { replay: 'ok' },
});
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function setup() {
  const agentId = `mosq-${randomBytes(6).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'mosquitto-link-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const cp = await fakeControlPlane(BROKER!, agentId);
  cleanups.push(() => cp.close());
  const file = join(dir, 'outbox.db');
  const open = () => {
    const outbox = openSqliteOutbox(file, { maxBytes: 1 << 24, maxRecords: 100_000, synchronous: 'normal' });
    cleanups.push(() => outbox.close());
    return outbox;
  };
  const link = (outbox: OutboxStore): Link => {
    const l = createLink({
      agentId,
      secret: 'anonymous-broker-ignores-it',
      mqttUrl: BROKER!,
      agentVersion: '0.1.0',
      outbox,
      logger,
      backoff: { baseMs: 50, capMs: 500 },
      batch: { maxRecords: 4 },
      ackTimeoutMs: 120_000,
      connectTimeoutMs: 5000,
    });
    cleanups.push(() => l.stop());
    return l;
  };
  return { agentId, cp, open, link };
}

describe('agent link and outbox against mosquitto', { skip }, () => {
  it('publishes records in seq order at QoS 1 and drops only the acked ones from the outbox', async () => {
    const { agentId, cp, open, link } = await setup();
    const outbox = open();
    for (let i = 1; i <= 10; i++) outbox.append('telemetry', sample(i));
    const l = link(outbox);
    l.start();
    await until(() => cp.seqs().length >= 10, 10_000, 'ten samples at the control plane');
    // Batches of at most 4, each exactly the outbox records with their seq, in order, QoS 1, not retained.
    assert.deepEqual(
      cp.received,
      [range(1, 4), range(5, 8), range(9, 10)].map((seqs) => ({
        topic: `homeostat/v1/agents/${agentId}/telemetry`,
        qos: 1,
        retain: false,
        body: { v: 1, samples: seqs.map((seq) => ({ seq, ...sample(seq) })) },
      })),
    );
    assert.equal(outbox.stats().depth, 10, 'a PUBACK from the broker does not remove a record; only an ack does');

    await cp.ack([
      [1, 3],
      [7, 8],
    ]);
    await until(() => outbox.stats().depth === 5, 5000, 'ack applied');
    assert.deepEqual(
      outbox.peek(100).map((r) => r.seq),
      [4, 5, 6, 9, 10],
    );
    assert.equal(l.status().lastAckSeq, 8);
    // Acks for unknown or already-acked seqs change nothing.
    await cp.ack([
      [1, 3],
      [500, 600],
    ]);
    await cp.ack([[4, 4]]);
    await until(() => outbox.stats().depth === 4, 5000, 'second ack applied');
    assert.deepEqual(
      outbox.peek(100).map((r) => r.seq),
      [5, 6, 9, 10],
    );
    assert.deepEqual(cp.seqs(), range(1, 10), 'nothing re-sent while connected and within the ack timeout');
    assert.equal(await l.drain(50), false, 'not drained while records are unacked');
    await cp.ack([
      [5, 6],
      [9, 10],
    ]);
    assert.equal(await l.drain(5000), true);
    assert.equal(outbox.stats().depth, 0);
  });

  it('replays every unacked record, in order, after the broker drops the connection', async () => {
    const { agentId, cp, open, link } = await setup();
    const outbox = open();
    const l = link(outbox);
    l.start();
    for (let i = 1; i <= 8; i++) {
      outbox.append('telemetry', sample(i));
      l.notify();
    }
    await until(() => cp.seqs().length >= 8, 10_000, 'eight samples');
    assert.deepEqual(cp.seqs(), range(1, 8));
    await cp.ack([[1, 2]]);
    await until(() => outbox.stats().depth === 6, 5000, 'first ack');
    const mark = cp.received.length;

    // Another connection with the agent's client id makes mosquitto close the link's connection (session takeover).
    const usurper = await mqtt.connectAsync(BROKER!, { clientId: agentId, reconnectPeriod: 0, connectTimeout: 5000 });
    cleanups.push(() => usurper.end(true));
    await until(() => l.status().reconnects >= 1, 10_000, 'link notices the takeover');
    usurper.end(true);
    await until(() => l.status().state === 'connected' && cp.seqs().length >= 8 + 6, 10_000, 'replay after reconnect');
    const replayed = cp.received.slice(mark);
    assert.deepEqual(
      replayed.flatMap((m) => m.body.samples.map((s) => s.seq)),
      range(3, 8),
      'exactly the unacked records, in seq order',
    );
    assert.ok(
      replayed.every((m) => m.qos === 1),
      'replayed at QoS 1',
    );
    assert.deepEqual(
      replayed.flatMap((m) => m.body.samples),
      range(3, 8).map((seq) => ({ seq, ...sample(seq) })),
    );

    await cp.ack([[3, 8]]);
    assert.equal(await l.drain(5000), true);
    assert.deepEqual(outbox.peek(100), []);
  });

  it('replays unacked records after an agent restart, and new records continue the seq', async () => {
    const { cp, open, link } = await setup();
    const first = open();
    const l1 = link(first);
    l1.start();
    for (let i = 1; i <= 5; i++) {
      first.append('telemetry', sample(i));
      l1.notify();
    }
    await until(() => cp.seqs().length >= 5, 10_000, 'five samples');
    await cp.ack([
      [1, 1],
      [4, 4],
    ]);
    await until(() => first.stats().depth === 3, 5000, 'ack');
    await l1.stop();
    first.close();

    const mark = cp.received.length;
    const second = open(); // same SQLite file: the agent process restarted
    assert.deepEqual(second.stats(), { depth: 3, bytes: second.stats().bytes, lastSeq: 5, droppedTotal: 0 });
    second.append('telemetry', sample(6));
    const l2 = link(second);
    l2.start();
    await until(() => cp.seqs().length >= 5 + 4, 10_000, 'replay after restart');
    assert.deepEqual(
      cp.received.slice(mark).flatMap((m) => m.body.samples),
      [2, 3, 5, 6].map((seq) => ({ seq, ...sample(seq) })),
    );
    assert.ok(cp.received.slice(mark).every((m) => m.qos === 1));
    await cp.ack([
      [2, 3],
      [5, 6],
    ]);
    assert.equal(await l2.drain(5000), true);
  });
});
