import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Incident } from '../correlate/incident.ts';
import { openStore } from '../store/prisma-store.ts';
import { createCounters } from '../metrics/counters.ts';
import { createIngester } from '../ingest/ingester.ts';
import { createEventBus, type StreamEvent, type StreamTimers } from './stream.ts';
import { healEvent, startStreamFeed, type CommittedBatch } from './stream-feed.ts';

/** Manual timers: tick() runs every interval callback once. */
function manualTimers(): StreamTimers & { tick(): void; readonly count: number } {
  const fns = new Map<number, () => void>();
  let next = 1;
  return {
    setInterval(fn) {
      const id = next++;
      fns.set(id, fn);
      return id;
    },
    clearInterval(h) {
      fns.delete(h as number);
    },
    tick() {
      for (const fn of [...fns.values()]) fn();
    },
    get count() {
      return fns.size;
    },
  };
}

test('samples and heal events reach the bus from the ingester commit hook; presence from the slow poll', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'feed-'));
  const store = await openStore({ provider: 'sqlite', file: join(dir, 'h.db') });
  const now = 1_900_000_000_000;
  const ing = createIngester({
    store,
    counters: createCounters(),
    log: pino({ level: 'silent' }),
    now: () => now,
    publishAck: () => {},
  });
  const bus = createEventBus();
  const seen: StreamEvent[] = [];
  bus.subscribe((e) => seen.push(e));
  const timers = manualTimers();
  const feed = startStreamFeed({
    hosts: store.hosts,
    rollouts: store.rollouts,
    incidents: store.incidents,
    bus,
    timers,
    clock: () => now,
    onCommitted: (l) => ing.onCommitted(l),
  });
  // Registered after the feed's listener, so it resolves once the feed has published the batch.
  const nextCommit = () =>
    new Promise<void>((resolve) => {
      const off = ing.onCommitted(() => {
        off();
        resolve();
      });
    });
  try {
    await store.tokens.create({
      id: 'tok',
      tokenHash: 'h',
      labels: {},
      maxUses: 1,
      expiresAt: new Date(now + 60_000),
      createdBy: null,
    });
    await store.tokens.redeem(
      'tok',
      new Date(now),
      { id: 'host-a', hostname: 'host-a', labels: {}, agentVersion: '1' },
      'x',
    );
    ing.start();
    await feed.poll(); // baseline host signatures: nothing to report yet
    assert.deepEqual(seen, []);

    const sample = (seq: number, anomaly?: number) => ({
      seq,
      ts: 1000 + seq,
      schema: 'host-v1',
      features: { 'cpu.util_pct': 12.5, 'mem.used_pct': 40, 'disk.io_wait': 3 },
      ...(anomaly === undefined ? {} : { scores: { anomaly: { score: anomaly, model: 'm@1', top: [] } } }),
    });
    let committed = nextCommit();
    ing.offer({ kind: 'telemetry', agentId: 'host-a', samples: [sample(1, 0.25), sample(2)] });
    ing.offer({
      kind: 'events',
      agentId: 'host-a',
      events: [
        // data as the agent sends it (contract/protocol/events.ts)
        {
          seq: 3,
          ts: 1003,
          type: 'heal.executed',
          severity: 'info',
          data: {
            policy: 'web',
            incident: 'i1',
            attempt: 1,
            action: 'restart-service',
            actionId: 'i1/1/0',
            status: 'done',
            detail: 'restarted',
            durationMs: 40,
          },
        },
        {
          seq: 4,
          ts: 1004,
          type: 'heal.approval-requested',
          severity: 'warning',
          data: { policy: 'reboot', requestId: 'req-1', actions: [{ type: 'reboot' }] },
        },
        { seq: 5, ts: 1005, type: 'detect.anomaly', severity: 'warning', data: {} },
      ],
    });
    await committed;
    assert.deepEqual(seen, [
      {
        type: 'sample',
        hostId: 'host-a',
        ts: 1001,
        features: { 'cpu.util_pct': 12.5, 'mem.used_pct': 40 },
        anomaly: 0.25,
      },
      {
        type: 'sample',
        hostId: 'host-a',
        ts: 1002,
        features: { 'cpu.util_pct': 12.5, 'mem.used_pct': 40 },
        anomaly: null,
      },
      { type: 'action', hostId: 'host-a', action: 'restart-service', outcome: 'done', ts: 1003 },
      { type: 'approval', approvalId: 'req-1', hostId: 'host-a', action: 'reboot', state: 'pending', ts: 1004 },
    ]);

    // A re-send (the agent missed its ack) is committed again but not published twice.
    seen.length = 0;
    committed = nextCommit();
    ing.offer({ kind: 'telemetry', agentId: 'host-a', samples: [sample(2), sample(6, 0.5)] });
    await committed;
    assert.deepEqual(seen, [
      {
        type: 'sample',
        hostId: 'host-a',
        ts: 1006,
        features: { 'cpu.util_pct': 12.5, 'mem.used_pct': 40 },
        anomaly: 0.5,
      },
    ]);

    // Presence has no hook: the poll reports it.
    seen.length = 0;
    committed = nextCommit();
    ing.offer({ kind: 'presence', agentId: 'host-a', message: { v: 1, state: 'online', ts: 1 } });
    ing.offer({ kind: 'telemetry', agentId: 'host-a', samples: [sample(7)] });
    await committed;
    seen.length = 0;
    await feed.poll();
    assert.deepEqual(seen, [
      { type: 'presence', hostId: 'host-a', state: 'online', ts: now },
      { type: 'host', hostId: 'host-a', ts: now },
    ]);

    // Incidents have no hook either: the poll reports one that opens, changes and resolves (the first poll took stock).
    const hint = {
      key: 'rack',
      value: 'r1',
      affected: 2,
      symptomatic: 2,
      fleetWithValue: 2,
      fleetSize: 10,
      affectedShare: 1,
      fleetShare: 0.2,
      lift: 5,
      score: 3,
      explanation: '',
    };
    const incident = (status: Incident['status'], at: number): Incident => ({
      id: 'inc-1',
      status,
      scope: 'group',
      key: 'rack',
      value: 'r1',
      severity: 'critical',
      hosts: ['host-a'],
      signatures: ['anomaly.detected'],
      eventCount: 2,
      eventIds: [],
      firstEventAt: now,
      openedAt: now,
      updatedAt: at,
      lastEventAt: now,
      resolvedAt: status === 'resolved' ? at : null,
      mergedInto: null,
      suppressed: false,
      hint,
      acknowledged: null,
      notes: [],
      title: 'rack r1: anomaly.detected',
    });
    await store.incidents.upsert(incident('open', now));
    seen.length = 0;
    await feed.poll();
    await feed.poll();
    await store.incidents.upsert(incident('open', now + 1));
    await feed.poll();
    await store.incidents.upsert(incident('resolved', now + 1));
    await feed.poll();
    await feed.poll();
    const opened = { type: 'incident', incidentId: 'inc-1', title: 'rack r1: anomaly.detected', ts: now };
    assert.deepEqual(seen, [
      { ...opened, status: 'open' },
      { ...opened, status: 'open' },
      { ...opened, status: 'resolved' },
    ]);

    // stop() unsubscribes from the hook and clears the poll timer.
    await feed.stop();
    assert.equal(timers.count, 0);
    seen.length = 0;
    committed = nextCommit();
    ing.offer({ kind: 'telemetry', agentId: 'host-a', samples: [sample(8)] });
    await committed;
    assert.deepEqual(seen, []);
  } finally {
    await feed.stop();
    await ing.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an anomaly alert starting or ending is a host change for the UI (its overview row refreshes)', () => {
  const row = (type: string, data: Record<string, unknown>) => ({
    hostId: 'h1',
    seq: 1,
    ts: 5,
    type,
    severity: 'warning',
    message: null,
    data,
  });
  const top = [{ feature: 'cpu.util_pct', contribution: 1 }];
  assert.deepEqual(
    healEvent(row('anomaly.started', { model: 'm', peak: 0.9, score: 0.9, startedAt: 1, top, enter: 0.5, exit: 0.35 })),
    { type: 'host', hostId: 'h1', ts: 5 },
  );
  assert.deepEqual(
    healEvent(row('anomaly.ended', { model: 'm', peak: 0.9, startedAt: 1, endedAt: 4, durationMs: 3, top })),
    { type: 'host', hostId: 'h1', ts: 5 },
  );
  assert.equal(healEvent(row('anomaly.detected', { score: 0.9, model: 'm', top })), null);
});

test('with no UI stream open the commit hook builds and publishes nothing; with one it does', async () => {
  const bus = createEventBus();
  let published = 0;
  const publish = bus.publish.bind(bus);
  bus.publish = (e) => {
    published++;
    publish(e);
  };
  let hook: ((batch: CommittedBatch) => void) | null = null;
  const timers = manualTimers();
  const feed = startStreamFeed({
    hosts: { list: async () => [] },
    rollouts: { updatedSince: async () => [] },
    incidents: { summaries: async () => [] },
    bus,
    timers,
    onCommitted: (l) => {
      hook = l;
      return () => {};
    },
  });
  const batch = (seq: number): CommittedBatch => ({
    samples: [
      { hostId: 'h', seq, ts: seq, schema: 's', features: { 'cpu.util_pct': 1 }, scores: null, collectors: null },
    ],
    events: [],
  });
  try {
    hook!(batch(1));
    assert.equal(published, 0, 'no listener: nothing built');
    const seen: StreamEvent[] = [];
    const off = bus.subscribe((e) => seen.push(e));
    hook!(batch(2));
    assert.equal(published, 1);
    assert.deepEqual(
      seen.map((e) => e.type === 'sample' && e.ts),
      [2],
    );
    off();
  } finally {
    await feed.stop();
  }
});
