// Overload at the boundary: a real control plane (embedded Aedes) on PostgreSQL whose ingest writer is held by a table
// lock taken from another connection, a real agent client. Once the ingest queue is full, a message is refused before
// it is parsed (a payload that is not even JSON is shed as overload, never seen as `not-json`), it is PUBACKed, never
// acked, and refused explicitly by a `busy` command naming its seqs; everything admitted before is committed and acked
// once the writer can go on. The agent's real link backs off on `busy` and sends exactly the refused records again:
// everything is stored once, nothing is sent twice.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { agentTopic } from '../../contract/protocol/index.ts';
import { createLink, type Link } from '../../agent/link/mqtt-link.ts';
import { createMemoryOutbox } from '../../agent/link/outbox/memory-store.ts';
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
import { createTestDatabase, pgSkipReason, type TestDatabase } from '../support/postgres.ts';

const CAPACITY = 4;

describe('overload: refusal before parsing when the ingest queue is full', { skip: pgSkipReason }, () => {
  let db: TestDatabase;
  let t: TestControlPlane;
  let agent: MqttClient | null = null;
  let locker: pg.Client | null = null;
  let link: Link | null = null;
  before(async () => {
    db = await createTestDatabase();
    t = await startTestControlPlane({
      databaseUrl: db.url,
      ingest: { queueCapacity: CAPACITY, batchSize: 1, maxWaitMs: 200 },
    });
  });
  after(async () => {
    await locker?.end().catch(() => {});
    await link?.stop();
    await agent?.endAsync(true);
    await t?.close();
    await db?.drop();
  });

  it('sheds unparsed at a full queue, keeps and acks what it admitted, parses again once there is room', async () => {
    const a = await enroll(t, 'overload-1');
    agent = await connectAgent(a.mqttUrl, a.agentId, a.secret);
    const cmds = await collectCommands(agent, a.agentId);
    const c = t.cp.counters;
    const topic = agentTopic(a.agentId, 'telemetry');

    locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE "Sample" IN ACCESS EXCLUSIVE MODE');

    // Fill: the writer takes the first message and blocks on the lock; the queue then fills up to its capacity.
    let seq = 0;
    while (t.cp.ingester.depth < CAPACITY) {
      assert.ok(seq < 50, `queue never filled (depth ${t.cp.ingester.depth})`);
      await agent.publishAsync(topic, telemetry([++seq]), { qos: 1 });
    }
    const admitted = seq;
    assert.equal(c.get('broker.publish.refused.overload'), 0);

    // Full: not JSON at all, but refused as overload after the wait, never parsed (no `not-json` rejection).
    const garbage = Buffer.from('{"v":1,"samples":[{"seq":1000,"ts":1,"schema":"x", not json');
    for (let i = 0; i < 3; i++) await agent.publishAsync(topic, garbage, { qos: 1 });
    await agent.publishAsync(topic, telemetry([admitted + 1]), { qos: 1 });
    assert.equal(c.get('broker.publish.refused.overload'), 4);
    assert.equal(c.get('ingest.shed.telemetry'), 4);
    assert.equal(c.get('broker.payload.rejected.not-json'), 0);
    assert.equal(t.cp.ingester.depth, CAPACITY, 'shed messages took no room');
    // Each refusal is explicit: `busy` names the refused seqs, read from the bytes (the garbage says seq 1000), and when
    // to try again: what is queued and reserved at the writer's throughput (not measured yet: one batch of 1 per s).
    const busy = { v: 1, type: 'busy', retryAfterMs: CAPACITY * 1000 };
    for (let i = 0; i < 3; i++)
      assert.deepEqual(await cmds.next((x) => x.type === 'busy'), { ...busy, ranges: [[1000, 1000]] });
    assert.deepEqual(await cmds.next((x) => x.type === 'busy'), { ...busy, ranges: [[admitted + 1, admitted + 1]] });

    // The writer goes on: everything admitted is committed and acked; the shed sample was not acked.
    await locker.query('COMMIT');
    const acked = new Set<number>();
    await eventually(async () => {
      for (const cmd of cmds.commands)
        if (cmd.type === 'ack') for (const [x, y] of cmd.ranges) for (let s = x; s <= y; s++) acked.add(s);
      return acked.size >= admitted;
    });
    assert.deepEqual(
      [...acked].sort((x, y) => x - y),
      Array.from({ length: admitted }, (_, i) => i + 1),
    );

    // As the outbox does: the shed sample is sent again and now stored; a non-JSON payload is parsed (and rejected).
    await agent.publishAsync(topic, telemetry([admitted + 1]), { qos: 1 });
    await cmds.next(
      (x) => x.type === 'ack' && x.ranges.some(([p, q]: [number, number]) => p <= admitted + 1 && admitted + 1 <= q),
    );
    await agent.publishAsync(topic, garbage, { qos: 1 });
    await eventually(async () => c.get('broker.payload.rejected.not-json') === 1);
    const stored = await api(t, 'GET', `/api/hosts/${a.agentId}/samples?order=asc&limit=100`);
    assert.deepEqual(
      stored.body.samples.map((s: { seq: number }) => s.seq),
      Array.from({ length: admitted + 1 }, (_, i) => i + 1),
    );
  });

  it('the agent link backs off on busy and sends exactly the refused records again: all stored once', async () => {
    const a = await enroll(t, 'overload-2');
    const c = t.cp.counters;
    const refusedBefore = c.get('broker.publish.refused.overload');
    const duplicatesBefore = c.get('ingest.samples.duplicates');
    await locker?.end();
    locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE "Sample" IN ACCESS EXCLUSIVE MODE');

    const N = 30;
    const outbox = createMemoryOutbox({ maxBytes: 1e8, maxRecords: 1e6 });
    for (let i = 1; i <= N; i++)
      outbox.append('telemetry', { ts: Date.now() + i, schema: 'host-v1', features: { 'cpu.util': i } });
    link = createLink({
      agentId: a.agentId,
      secret: a.secret,
      mqttUrl: a.mqttUrl,
      agentVersion: '0.1.0',
      outbox,
      logger: pino({ level: 'silent' }),
      batch: { maxRecords: 1 }, // one message per record: most of them find the queue full
      busyBackoff: { baseMs: 100, capMs: 1500 },
    });
    link.start();
    // The queue fills (one batch at the writer, CAPACITY queued), the rest is refused with `busy`: the link pauses.
    await eventually(
      async () => (link!.status().busyRefusals ?? 0) > 0 && c.get('broker.publish.refused.overload') > refusedBefore,
      20_000,
    );
    assert.ok((link.status().refused ?? 0) > 0 || outbox.stats().depth > 0);
    await locker.query('COMMIT');
    await eventually(async () => outbox.stats().depth === 0, 60_000);
    const stored = await api(t, 'GET', `/api/hosts/${a.agentId}/samples?order=asc&limit=100`);
    assert.deepEqual(
      stored.body.samples.map((s: { seq: number }) => s.seq),
      Array.from({ length: N }, (_, i) => i + 1),
    );
    // Exactly the refused records were sent again: no record reached the database twice.
    assert.equal(c.get('ingest.samples.duplicates'), duplicatesBefore);
    assert.ok(c.get('broker.publish.refused.overload') > refusedBefore);
  });
});
