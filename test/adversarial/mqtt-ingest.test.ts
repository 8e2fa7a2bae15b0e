/**
 * Adversarial MQTT ingest (issue 13, M1/M2 and item 10): a hostile or broken agent publishes poison and fuzzed payloads
 * on every agent topic through a real broker connection while an honest agent streams samples. Asserted: the honest
 * agent's samples are all stored exactly once and acked, every rejection is counted, the poisoning agent's later valid
 * samples are stored, and the control plane keeps answering. SQLite always, PostgreSQL when configured. Fixed seeds.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { MqttClient } from 'mqtt';
import { AGENT_PAYLOADS, AGENT_TOPIC_KINDS, agentTopic, type AgentTopicKind } from '../../contract/protocol/index.ts';
import { createTestDatabase, pgSkipReason } from '../support/postgres.ts';
import {
  api,
  collectCommands,
  connectAgent,
  enroll,
  startTestControlPlane,
  type TestControlPlane,
} from '../support/control-plane.ts';

const sample = (seq: number, collector = 'ok') => ({
  seq,
  ts: 1_700_000_000_000 + seq,
  schema: 'host-v1',
  features: { 'cpu.util': seq % 100 },
  collectors: { proc: collector },
});

/** Streams `n` samples from an honest agent in small batches and resolves once all of them are acked. */
async function honestStream(
  t: TestControlPlane,
  n: number,
): Promise<{ done: Promise<void>; agentId: string; client: MqttClient }> {
  const e = await enroll(t, 'honest');
  const client = await connectAgent(e.mqttUrl, e.agentId, e.secret);
  const cmds = await collectCommands(client, e.agentId);
  const acked = new Set<number>();
  const done = (async () => {
    for (let seq = 1; seq <= n; seq += 5) {
      const samples = Array.from({ length: Math.min(5, n - seq + 1) }, (_, k) => sample(seq + k));
      await client.publishAsync(agentTopic(e.agentId, 'telemetry'), JSON.stringify({ v: 1, samples }), { qos: 1 });
    }
    while (acked.size < n) {
      const ack = await cmds.next((c) => c.type === 'ack', 60_000);
      assert.equal(ack.rejected, undefined, `honest samples refused: ${JSON.stringify(ack.rejected)}`);
      for (const [a, b] of ack.ranges) for (let s = a; s <= b; s++) acked.add(s);
    }
  })();
  return { done, agentId: e.agentId, client };
}

async function storedSeqs(t: TestControlPlane, agentId: string): Promise<number[]> {
  const r = await api(t, 'GET', `/api/hosts/${agentId}/samples?order=asc&limit=10000`);
  assert.equal(r.status, 200);
  return r.body.samples.map((s: { seq: number }) => s.seq);
}

const rejectedTotal = (t: TestControlPlane) =>
  ['schema', 'not-json', 'oversized'].reduce((n, r) => n + (t.cp.counters.get(`broker.payload.rejected.${r}`) ?? 0), 0);

async function m1Regression(databaseUrl?: string): Promise<void> {
  const t = await startTestControlPlane(databaseUrl ? { databaseUrl } : {});
  try {
    const honest = await honestStream(t, 200);
    const bad = await enroll(t, 'poisoner');
    const c = await connectAgent(bad.mqttUrl, bad.agentId, bad.secret);
    const cmds = await collectCommands(c, bad.agentId);
    const pub = (kind: AgentTopicKind, body: unknown) =>
      c.publishAsync(agentTopic(bad.agentId, kind), JSON.stringify(body), { qos: 1 });
    // The exact M1 payloads: inventory, state, an event message and a sample collector string with a lone surrogate.
    await pub('inventory', { v: 1, ts: Date.now(), hash: 'h', inventory: { x: '\ud800' } });
    await pub('state', { v: 1, ts: Date.now(), policyVersion: 'p@1', models: {}, errors: ['apply failed: \ud800'] });
    await pub('events', {
      v: 1,
      events: [
        { seq: 1, ts: Date.now(), type: 'heal.failed', severity: 'warning', message: 'cut \udc00 here', data: {} },
      ],
    });
    await pub('telemetry', { v: 1, samples: [sample(2, 'unavailable: \ud83d')] });
    // A valid and an invalid record in one message: the valid one is kept.
    await pub('telemetry', { v: 1, samples: [sample(3), sample(4, '\ud800')] });
    for (let seq = 5; seq <= 14; seq++) await pub('telemetry', { v: 1, samples: [sample(seq)] });
    await honest.done;
    // Every refused seq is acked with a reason; every valid one stored.
    const refused = new Map<number, string>();
    const acked = new Set<number>();
    while (acked.size < 14) {
      const ack = await cmds.next((x) => x.type === 'ack', 60_000);
      for (const [a, b] of ack.ranges) for (let s = a; s <= b; s++) acked.add(s);
      for (const r of ack.rejected ?? []) refused.set(r.seq, r.reason);
    }
    assert.deepEqual(
      [...refused.keys()].sort((a, b) => a - b),
      [1, 2, 4],
    );
    for (const reason of refused.values()) assert.match(reason, /lone UTF-16 surrogate/);
    assert.deepEqual(await storedSeqs(t, bad.agentId), [3, ...Array.from({ length: 10 }, (_, k) => k + 5)]);
    assert.deepEqual(
      await storedSeqs(t, honest.agentId),
      Array.from({ length: 200 }, (_, k) => k + 1),
      'every honest sample exactly once',
    );
    assert.equal(t.cp.counters.get('broker.payload.rejected.schema'), 5, 'inventory, state, event, sample, mixed');
    assert.equal(
      t.cp.counters.get('ingest.quarantined.telemetry') ?? 0,
      0,
      'refused at admission, not at the database',
    );
    const host = await api(t, 'GET', `/api/hosts/${bad.agentId}`);
    assert.equal(host.body.inventory, null);
    assert.equal(host.body.appliedPolicyVersion, null);
    await c.endAsync();
    await honest.client.endAsync();
  } finally {
    await t.close();
  }
}

describe('M1: one poisoned message never stalls ingest', () => {
  it('SQLite', () => m1Regression());
  it('PostgreSQL', { skip: pgSkipReason }, async () => {
    const db = await createTestDatabase();
    try {
      await m1Regression(db.url);
    } finally {
      await db.drop();
    }
  });
});

/** Strings that break databases and naive truncation, mixed into generated JSON. */
const nasty = fc.oneof(
  fc.string(),
  fc.constantFrom('\ud800', 'a\udc00b', '\u0000', 'x\ud83d', '\ud83d\ude00', '\uffff', ''),
);
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    nasty,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(nasty, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** A mostly-valid message of `kind` with one field replaced by junk: exercises every schema branch. */
function mutated(kind: AgentTopicKind): fc.Arbitrary<unknown> {
  const base: Record<AgentTopicKind, Record<string, unknown>> = {
    telemetry: { v: 1, samples: [sample(900)] },
    events: { v: 1, events: [{ seq: 901, ts: 1, type: 'x.y', severity: 'info', message: 'm', data: { a: 1 } }] },
    presence: { v: 1, state: 'online', ts: 1, agentVersion: '1' },
    inventory: { v: 1, ts: 1, hash: 'h', inventory: { os: { kernel: '6.1' } } },
    state: { v: 1, ts: 1, policyVersion: 'p@1', models: { a: '1' }, errors: [] },
  };
  return fc
    .tuple(fc.constantFrom(...Object.keys(base[kind]), 'extra'), json)
    .map(([key, v]) => ({ ...base[kind], [key]: v }));
}

describe('fuzz: every agent payload schema, through a real broker connection', () => {
  it('no crash, no stall of another agent, every rejection counted (seeded)', async () => {
    const t = await startTestControlPlane();
    try {
      const honest = await honestStream(t, 300);
      const bad = await enroll(t, 'fuzzer');
      const c = await connectAgent(bad.mqttUrl, bad.agentId, bad.secret);
      let invalid = 0;
      let published = 0;
      for (const [i, kind] of AGENT_TOPIC_KINDS.entries()) {
        const payloads = fc.sample(
          fc.oneof(
            mutated(kind),
            json,
            fc.string().map((s) => ({ raw: s })),
          ),
          { seed: 1300 + i, numRuns: 120 },
        );
        for (const p of payloads) {
          const text =
            typeof p === 'object' && p !== null && 'raw' in p ? String((p as { raw: string }).raw) : JSON.stringify(p);
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = Symbol('not-json');
          }
          if (typeof parsed === 'symbol' || !AGENT_PAYLOADS[kind].safeParse(parsed).success) invalid++;
          await c.publishAsync(agentTopic(bad.agentId, kind), text, { qos: 1 });
          published++;
        }
      }
      await honest.done;
      assert.deepEqual(
        await storedSeqs(t, honest.agentId),
        Array.from({ length: 300 }, (_, k) => k + 1),
      );
      assert.equal(rejectedTotal(t), invalid, `${published} published, ${invalid} invalid`);
      assert.ok(invalid > published / 2, 'the fuzzer mostly sends junk');
      assert.equal((await api(t, 'GET', '/healthz', undefined, null)).status, 200);
      assert.equal(t.cp.counters.get('ingest.batch.failures') ?? 0, 0, 'nothing invalid reached the database');
      await c.endAsync();
      await honest.client.endAsync();
    } finally {
      await t.close();
    }
  });
});
