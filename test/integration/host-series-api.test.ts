/**
 * Issue 17 item 2 / item 1: `GET /api/hosts/:id/series` serves a stored range downsampled and bounded (one sample per
 * step, the highest anomaly score in each, at most `points` rows, at most 7 days), and `GET /api/events` the fleet's
 * newest events for the overview's "now" strip; both for viewers. Status and body through the real ingest.
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

const T0 = 1_700_000_000_000;
const N = 3_000; // 5 s apart: a little over 4 hours
let t: TestControlPlane;
let agentId: string;
before(async () => {
  t = await startTestControlPlane();
  const e = await enroll(t, 'series');
  agentId = e.agentId;
  const c = await connectAgent(e.mqttUrl, e.agentId, e.secret);
  const cmds = await collectCommands(c, e.agentId);
  for (let seq = 1; seq <= N; seq += 500) {
    const samples = Array.from({ length: 500 }, (_, k) => ({
      seq: seq + k,
      ts: T0 + (seq + k) * 5_000,
      schema: 'host-v1',
      features: { 'cpu.util_pct': (seq + k) % 100 },
      // one spike at seq 1234: downsampling must keep it
      scores: { anomaly: { score: seq + k === 1234 ? 0.97 : 0.01, model: 'm', top: [] } },
    }));
    await c.publishAsync(agentTopic(e.agentId, 'telemetry'), JSON.stringify({ v: 1, samples }), { qos: 1 });
  }
  const events = [
    { seq: N + 1, ts: T0 + 100_000, type: 'anomaly.started', severity: 'warning', message: 'alert', data: {} },
    { seq: N + 2, ts: T0 + 200_000, type: 'anomaly.ended', severity: 'info', message: 'cleared', data: {} },
  ];
  await c.publishAsync(agentTopic(e.agentId, 'events'), JSON.stringify({ v: 1, events }), { qos: 1 });
  const acked = new Set<number>();
  while (acked.size < N + 2) {
    const ack = await cmds.next((x) => x.type === 'ack', 60_000);
    for (const [a, b] of ack.ranges) for (let s = a; s <= b; s++) acked.add(s);
  }
  await c.endAsync();
});
after(() => t.close());

describe('host series and recent events API', () => {
  it('series: the range in at most `points` steps, oldest first, spikes kept', async () => {
    const since = T0;
    const until = T0 + (N + 1) * 5_000;
    const r = await api(t, 'GET', `/api/hosts/${agentId}/series?since=${since}&until=${until}&points=100`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.hostId, agentId);
    assert.equal(r.body.stepMs, Math.ceil((until - since) / 100));
    const samples = r.body.samples as { ts: number; scores: { anomaly: { score: number } } }[];
    assert.ok(samples.length <= 101 && samples.length >= 95, `${samples.length} samples`);
    assert.deepEqual(
      samples.map((s) => s.ts),
      [...samples.map((s) => s.ts)].sort((a, b) => a - b),
    );
    assert.ok(
      samples.some((s) => s.ts === T0 + 1234 * 5_000 && s.scores.anomaly.score === 0.97),
      'the spike survives downsampling',
    );
  });

  it('series: a range over 7 days or an empty one is a 400 naming the problem; an unknown host 404', async () => {
    const wide = await api(t, 'GET', `/api/hosts/${agentId}/series?since=0&until=${8 * 86_400_000}`);
    assert.equal(wide.status, 400);
    assert.match(JSON.stringify(wide.body), /at most 7 days/);
    const empty = await api(t, 'GET', `/api/hosts/${agentId}/series?since=${T0}&until=${T0}`);
    assert.equal(empty.status, 400);
    const tooMany = await api(t, 'GET', `/api/hosts/${agentId}/series?since=${T0}&points=100000`);
    assert.equal(tooMany.status, 400);
    const unknown = await api(t, 'GET', `/api/hosts/nope/series?since=${T0}`);
    assert.equal(unknown.status, 404);
  });

  it('events: the fleet newest first, limited and filtered by type', async () => {
    const all = await api(t, 'GET', '/api/events?limit=1');
    assert.equal(all.status, 200);
    assert.deepEqual(
      all.body.events.map((e: { type: string; hostId: string }) => [e.type, e.hostId]),
      [['anomaly.ended', agentId]],
    );
    const started = await api(t, 'GET', '/api/events?types=anomaly.started,heal.executed');
    assert.deepEqual(
      started.body.events.map((e: { type: string }) => e.type),
      ['anomaly.started'],
    );
    assert.equal((await api(t, 'GET', '/api/events?limit=0')).status, 400);
  });
});
