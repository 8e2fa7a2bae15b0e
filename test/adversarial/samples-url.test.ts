/**
 * N9 (issue 13): the samples URL `npm start` prints shows the newest data, however long the host has been reporting:
 * newest first by default, `limit` (default 1000) per page, and `nextCursor` continues where a full page ended, in
 * either order, without gaps or repeats.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { agentTopic } from '../../contract/protocol/index.ts';
import {
  api,
  collectCommands,
  connectAgent,
  enroll,
  startTestControlPlane,
  type TestControlPlane,
} from '../support/control-plane.ts';

const N = 1_250;
let t: TestControlPlane;
let agentId: string;
before(async () => {
  t = await startTestControlPlane();
  const e = await enroll(t, 'n9');
  agentId = e.agentId;
  const c = await connectAgent(e.mqttUrl, e.agentId, e.secret);
  const cmds = await collectCommands(c, e.agentId);
  for (let seq = 1; seq <= N; seq += 250) {
    const samples = Array.from({ length: 250 }, (_, k) => ({
      seq: seq + k,
      ts: 1_700_000_000_000 + (seq + k) * 5_000,
      schema: 'host-v1',
      features: { 'cpu.util': 1 },
    }));
    await c.publishAsync(agentTopic(e.agentId, 'telemetry'), JSON.stringify({ v: 1, samples }), { qos: 1 });
  }
  const acked = new Set<number>();
  while (acked.size < N) {
    const ack = await cmds.next((x) => x.type === 'ack', 60_000);
    for (const [a, b] of ack.ranges) for (let s = a; s <= b; s++) acked.add(s);
  }
  await c.endAsync();
});
after(() => t.close());

describe('N9: the samples URL shows new data', () => {
  it('N9: newest first by default, 1000 per page, and nextCursor pages through the rest without gaps', async () => {
    const first = await api(t, 'GET', `/api/hosts/${agentId}/samples`);
    assert.equal(first.status, 200);
    const seqs: number[] = first.body.samples.map((s: { seq: number }) => s.seq);
    assert.equal(seqs.length, 1000);
    assert.equal(seqs[0], N, 'the newest sample comes first');
    assert.ok(first.body.nextCursor, 'a full page has a cursor');
    const rest = await api(t, 'GET', `/api/hosts/${agentId}/samples?cursor=${first.body.nextCursor}`);
    const all = [...seqs, ...rest.body.samples.map((s: { seq: number }) => s.seq)];
    assert.deepEqual(
      all,
      Array.from({ length: N }, (_, k) => N - k),
    );
    assert.equal(rest.body.nextCursor, null);
  });

  it('N9: order=asc pages the other way with the same cursor rule', async () => {
    const a = await api(t, 'GET', `/api/hosts/${agentId}/samples?order=asc&limit=1000`);
    const b = await api(t, 'GET', `/api/hosts/${agentId}/samples?order=asc&cursor=${a.body.nextCursor}`);
    assert.deepEqual(
      [...a.body.samples, ...b.body.samples].map((s: { seq: number }) => s.seq),
      Array.from({ length: N }, (_, k) => k + 1),
    );
  });
});
