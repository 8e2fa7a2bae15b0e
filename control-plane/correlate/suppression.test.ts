import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activeUntil, isExpired, parseSchedule } from './schedule.ts';
import { coveringSilence, planSilenceTransitions, type Silence } from './silences.ts';
import { createBreaker } from './breaker.ts';
import { createPopulation } from './population.ts';
import { ValidationError } from '../../contract/errors.ts';

const at = (iso: string) => Date.parse(iso);

test('schedules: one-off, weekly and cron occurrences with their end; expiry', () => {
  const once = parseSchedule({ type: 'once', startsAt: 1000, endsAt: 2000 });
  assert.equal(activeUntil(once, 1500), 2000);
  assert.equal(activeUntil(once, 2000), null);
  assert.ok(isExpired(once, 2000));
  // Saturdays 02:00 UTC for 2 h; 2026-01-03 is a Saturday.
  const weekly = parseSchedule({ type: 'weekly', days: [6], start: '02:00', durationMinutes: 120 });
  assert.equal(activeUntil(weekly, at('2026-01-03T03:59:00Z')), at('2026-01-03T04:00:00Z'));
  assert.equal(activeUntil(weekly, at('2026-01-03T04:00:00Z')), null);
  assert.equal(activeUntil(weekly, at('2026-01-04T02:30:00Z')), null);
  const cron = parseSchedule({
    type: 'cron',
    expr: '*/15 1-2 * * 1-5',
    durationMinutes: 5,
    until: at('2026-02-01T00:00:00Z'),
  });
  assert.equal(activeUntil(cron, at('2026-01-05T01:47:00Z')), at('2026-01-05T01:50:00Z'));
  assert.equal(activeUntil(cron, at('2026-01-05T01:51:00Z')), null);
  assert.equal(activeUntil(cron, at('2026-02-02T01:46:00Z')), null);
  assert.throws(
    () => parseSchedule({ type: 'cron', expr: '61 * * * x', durationMinutes: 5 }),
    (e: unknown) => e instanceof ValidationError && e.issues.length === 2,
  );
});

test('maintenance windows: start with the covered hosts, end, and expire by themselves', () => {
  const m: Silence = {
    id: 's1',
    kind: 'maintenance',
    selector: 'rack=r1',
    schedule: parseSchedule({ type: 'once', startsAt: 100, endsAt: 200 }),
    reason: 'PDU swap',
    createdBy: 'alice',
    pauseActions: [],
  };
  const hosts = new Map([
    ['a', { rack: 'r1' }],
    ['b', { rack: 'r2' }],
    ['c', { rack: 'r1' }],
  ]);
  const t1 = planSilenceTransitions([m], hosts, new Set(), 150);
  assert.deepEqual(
    t1.started.map((s) => [s.silence.id, s.until, s.hosts]),
    [['s1', 200, ['a', 'c']]],
  );
  assert.equal(planSilenceTransitions([m], hosts, t1.active, 160).started.length, 0);
  const t2 = planSilenceTransitions([m], hosts, t1.active, 200);
  assert.deepEqual([t2.ended.map((s) => s.id), t2.expired.map((s) => s.id)], [['s1'], ['s1']]);
  assert.equal(coveringSilence([m], { rack: 'r1' }, 150)?.until, 200);
  assert.equal(coveringSilence([m], { rack: 'r2' }, 150), null);
});

test('breaker: trips when more than the share of a rack wants the same action, then holds until reset', () => {
  const pop = createPopulation(
    Array.from({ length: 20 }, (_, i) => [`h${i}`, { rack: i < 10 ? 'r1' : 'r2' }] as [string, { rack: string }]),
  );
  const b = createBreaker({ population: pop, maxShare: 0.25, windowMs: 60_000, groupKeys: ['rack'] });
  for (const h of ['h0', 'h1']) assert.equal(b.observe(h, 'reboot', pop.attributes(h)!, 0).decision, 'allow');
  assert.equal(b.observe('h11', 'reboot', pop.attributes('h11')!, 500).decision, 'allow');
  assert.equal(b.observe('h3', 'restart-service', pop.attributes('h3')!, 500).decision, 'allow');
  const trip = b.observe('h2', 'reboot', pop.attributes('h2')!, 1000);
  assert.deepEqual(trip, {
    decision: 'trip',
    group: { key: 'rack', value: 'r1' },
    action: 'reboot',
    hosts: 3,
    groupSize: 10,
    share: 0.3,
    until: 3_601_000,
  });
  assert.equal(b.observe('h5', 'reboot', pop.attributes('h5')!, 2000).decision, 'held');
  assert.equal(b.observe('h12', 'reboot', pop.attributes('h12')!, 2000).decision, 'allow');
  assert.equal(b.observe('h5', 'restart-service', pop.attributes('h5')!, 2000).decision, 'allow');
  assert.ok(b.reset('rack', 'r1', 'reboot'));
  assert.equal(b.observe('h5', 'reboot', pop.attributes('h5')!, 3000).decision, 'allow');
});

test('breaker: requests older than the window do not count', () => {
  const pop = createPopulation(
    Array.from({ length: 10 }, (_, i) => [`h${i}`, { rack: 'r1' }] as [string, { rack: string }]),
  );
  const b = createBreaker({ population: pop, maxShare: 0.25, windowMs: 60_000, groupKeys: ['rack'] });
  b.observe('h0', 'reboot', { rack: 'r1' }, 0);
  b.observe('h1', 'reboot', { rack: 'r1' }, 0);
  assert.equal(b.observe('h2', 'reboot', { rack: 'r1' }, 60_000).decision, 'allow');
});
