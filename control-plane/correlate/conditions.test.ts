import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCorrelator } from './correlator.ts';
import { createPopulation } from './population.ts';
import type { CorrelatorEvent } from './incident.ts';

const MIN = 60_000;

function fleet() {
  const p = createPopulation();
  for (let i = 0; i < 200; i++) p.upsert(`h${i}`, { rack: `r${Math.floor(i / 10)}`, kernel: i % 2 ? 'a' : 'b' });
  return p;
}
const alert = (type: 'anomaly.started' | 'anomaly.ended', hostId: string, ts: number): CorrelatorEvent => ({
  hostId,
  ts,
  type,
  severity: type === 'anomaly.started' ? 'warning' : 'info',
  data: { top: [{ feature: 'cpu.util_pct', contribution: 1 }], peak: 0.9 },
});

test('one sustained alert opens a host incident after the hold; it stays open while on and resolves when it ends', () => {
  const pop = fleet();
  const c = createCorrelator({ population: pop, newId: () => 'inc-1' });
  const at = (h: string) => pop.attributes(h)!;
  assert.deepEqual(c.ingest(alert('anomaly.started', 'h5', 0), at('h5'), 0), []);
  assert.deepEqual(c.tick(2 * MIN), [], 'held for grouping');
  const opened = c.tick(3 * MIN);
  assert.deepEqual(
    opened.map((x) => [x.type, x.incident.scope, x.incident.value]),
    [['opened', 'host', 'h5']],
  );
  assert.deepEqual(opened[0]!.incident.conditions, [
    { key: 'h5:anomaly', hostId: 'h5', condition: 'anomaly', since: 0, endedAt: null },
  ]);
  // two hours without another event: a sustained alert is not "quiet"
  assert.deepEqual(c.tick(120 * MIN), []);
  assert.equal(c.get('inc-1')!.status, 'open');
  const ended = c.ingest(alert('anomaly.ended', 'h5', 121 * MIN), at('h5'), 121 * MIN);
  assert.deepEqual(
    ended.map((x) => x.type),
    ['resolved'],
  );
  const r = ended[0]!.incident;
  assert.equal(r.resolvedAt, 121 * MIN);
  assert.deepEqual(r.resolution, {
    reason: 'cleared',
    at: 121 * MIN,
    text: 'cleared: the anomaly alert of its host ended',
  });
  assert.equal(r.conditions![0]!.endedAt, 121 * MIN);
});

test('an alert that ends before the hold opens nothing; an end is never a signal', () => {
  const pop = fleet();
  const c = createCorrelator({ population: pop });
  c.ingest(alert('anomaly.started', 'h5', 0), pop.attributes('h5')!, 0);
  assert.deepEqual(c.ingest(alert('anomaly.ended', 'h5', MIN), pop.attributes('h5')!, MIN), []);
  assert.deepEqual(c.tick(5 * MIN), []);
  assert.deepEqual(c.incidents(), []);
  assert.equal(c.stats().signals, 1);
});

test('a rack alerting together is one group incident that resolves only when every host alert has ended', () => {
  const pop = fleet();
  const c = createCorrelator({ population: pop, newId: () => 'inc-r' });
  const hosts = ['h30', 'h31', 'h32', 'h33', 'h34', 'h35'];
  const changes = hosts.flatMap((h, i) =>
    c.ingest(alert('anomaly.started', h, i * 10_000), pop.attributes(h)!, i * 10_000),
  );
  const opened = changes.filter((x) => x.type === 'opened');
  assert.equal(opened.length, 1);
  assert.deepEqual([opened[0]!.incident.key, opened[0]!.incident.value], ['rack', 'r3']);
  const inc = c.get('inc-r')!;
  assert.deepEqual(inc.conditions!.map((x) => x.hostId).sort(), hosts);
  for (const [i, h] of hosts.slice(0, -1).entries()) {
    const t = 30 * MIN + i * MIN;
    assert.deepEqual(
      c.ingest(alert('anomaly.ended', h, t), pop.attributes(h)!, t).map((x) => x.type),
      ['updated'],
      h,
    );
  }
  assert.deepEqual(c.tick(60 * MIN), [], 'one host still alerting');
  const last = c.ingest(alert('anomaly.ended', 'h35', 61 * MIN), pop.attributes('h35')!, 61 * MIN);
  assert.deepEqual(
    last.map((x) => [x.type, x.incident.resolution?.reason]),
    [['resolved', 'cleared']],
  );
  assert.match(last[0]!.incident.resolution!.text, /all 6 hosts ended/);
});

test('point signals in an incident with alerts: it resolves once the alerts ended and the points are quiet', () => {
  const pop = fleet();
  const c = createCorrelator({ population: pop, newId: () => 'inc-m', resolveAfterMs: 20 * MIN });
  const at = pop.attributes('h5')!;
  c.ingest(alert('anomaly.started', 'h5', 0), at, 0);
  c.tick(3 * MIN);
  const esc = { hostId: 'h5', ts: 4 * MIN, type: 'heal.escalated', severity: 'critical' as const, data: {} };
  assert.equal(c.ingest(esc, at, 4 * MIN)[0]!.type, 'updated');
  assert.deepEqual(
    c.ingest(alert('anomaly.ended', 'h5', 10 * MIN), at, 10 * MIN).map((x) => x.type),
    ['updated'],
  );
  assert.deepEqual(c.tick(23 * MIN), [], 'the escalation is 19 min old');
  const r = c.tick(24 * MIN);
  assert.deepEqual(
    r.map((x) => [x.type, x.incident.resolution?.reason]),
    [['resolved', 'cleared']],
  );
});

test('incidents of point signals resolve when quiet, with the reason; by hand says who', () => {
  const pop = fleet();
  let n = 0;
  const c = createCorrelator({ population: pop, newId: () => `inc-${++n}` });
  const crash = (h: string, ts: number) => ({ hostId: h, ts, type: 'service.crashloop', severity: 'warning' as const });
  c.ingest(crash('h5', 0), pop.attributes('h5')!, 0);
  c.ingest(crash('h5', MIN), pop.attributes('h5')!, MIN);
  c.tick(4 * MIN);
  const q = c.tick(25 * MIN);
  assert.deepEqual(
    q.map((x) => [x.type, x.incident.resolution?.reason, x.incident.resolution?.text]),
    [['resolved', 'quiet', 'quiet: no new signal for 20 min']],
  );
  c.ingest(alert('anomaly.started', 'h7', 30 * MIN), pop.attributes('h7')!, 30 * MIN);
  const o = c.tick(34 * MIN).find((x) => x.type === 'opened')!;
  const m = c.resolve(o.incident.id, 'alice', 35 * MIN);
  assert.deepEqual(m[0]!.incident.resolution, {
    reason: 'manual',
    at: 35 * MIN,
    text: 'resolved by hand by alice',
    by: 'alice',
  });
  // the alert's end later finds nothing open: no change
  assert.deepEqual(c.ingest(alert('anomaly.ended', 'h7', 40 * MIN), pop.attributes('h7')!, 40 * MIN), []);
});

test('an incident re-adopted after a restart still waits for its alert to end', () => {
  const pop = fleet();
  const a = createCorrelator({ population: pop, newId: () => 'inc-x' });
  a.ingest(alert('anomaly.started', 'h5', 0), pop.attributes('h5')!, 0);
  const open = a.tick(3 * MIN)[0]!.incident;
  const b = createCorrelator({ population: pop });
  b.restore([open], 60 * MIN);
  assert.deepEqual(b.tick(200 * MIN), []);
  assert.deepEqual(
    b.ingest(alert('anomaly.ended', 'h5', 201 * MIN), pop.attributes('h5')!, 201 * MIN).map((x) => x.type),
    ['resolved'],
  );
});
