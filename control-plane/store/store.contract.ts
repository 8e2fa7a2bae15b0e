/**
 * The contract every Store implementation passes. `runStoreContract(name, open)` registers the suite; `open` returns
 * a fresh, migrated, empty store and a cleanup.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConflictError, NotFoundError } from '../../contract/errors.ts';
import type { Store } from './ports.ts';
import { StoredDataError } from '../repositories/stored-json.ts';

/** `sql` runs a raw statement (to plant rows that break their schema). */
export type OpenStore = () => Promise<{
  store: Store;
  sql(statement: string): Promise<unknown>;
  cleanup(): Promise<void>;
}>;

export function runStoreContract(name: string, open: OpenStore, skip: string | false = false): void {
  const t = (title: string, fn: (store: Store, sql: (statement: string) => Promise<unknown>) => Promise<void>) =>
    test(`${name}: ${title}`, { skip }, async () => {
      const { store, sql, cleanup } = await open();
      try {
        await fn(store, sql);
      } finally {
        await cleanup();
      }
    });

  const now = new Date('2030-01-01T00:00:00Z');
  const newToken = (id: string, uses = 1, expiresAt = new Date(now.getTime() + 3_600_000)) => ({
    id,
    tokenHash: 'h',
    labels: { rack: 'r1' },
    maxUses: uses,
    expiresAt,
    createdBy: null,
  });
  const host = (id: string) => ({ id, hostname: `${id}.local`, labels: { rack: 'r1' }, agentVersion: '1.0.0' });

  t('redeem uses a token once per host and refuses used-up, expired and revoked tokens', async (s) => {
    await s.tokens.create(newToken('tok-a', 2));
    const h1 = await s.tokens.redeem('tok-a', now, host('host-1'), 'secret-hash-1');
    assert.deepEqual(
      [h1.id, h1.hostname, h1.labels, h1.online, h1.revokedAt],
      ['host-1', 'host-1.local', { rack: 'r1' }, false, null],
    );
    await s.tokens.redeem('tok-a', now, host('host-2'), 'secret-hash-2');
    await assert.rejects(
      s.tokens.redeem('tok-a', now, host('host-3'), 'x'),
      (e: unknown) => e instanceof ConflictError && e.reason === 'token-used-up',
    );
    await s.tokens.create(newToken('tok-old', 5, new Date(now.getTime() - 1)));
    await assert.rejects(
      s.tokens.redeem('tok-old', now, host('host-4'), 'x'),
      (e: unknown) => e instanceof ConflictError && e.reason === 'token-expired',
    );
    await s.tokens.create(newToken('tok-rev', 5));
    await s.tokens.revoke('tok-rev', now);
    await assert.rejects(
      s.tokens.redeem('tok-rev', now, host('host-5'), 'x'),
      (e: unknown) => e instanceof ConflictError && e.reason === 'token-revoked',
    );
    await assert.rejects(s.tokens.redeem('nope', now, host('host-6'), 'x'), NotFoundError);
    assert.equal((await s.tokens.find('tok-a'))!.token.usesLeft, 0);
    assert.deepEqual(
      (await s.hosts.list()).map((h) => h.id),
      ['host-1', 'host-2'],
    );
    assert.deepEqual(await s.hosts.credential('host-2'), {
      secretHash: 'secret-hash-2',
      pendingSecretHash: null,
      revokedAt: null,
    });
    assert.equal(await s.hosts.replaceSecretHash('host-2', 'not-the-current-hash', 'h2'), false, 'compare and set');
    assert.equal(await s.hosts.replaceSecretHash('host-2', 'secret-hash-2', 'secret-hash-2b'), true);
    assert.equal((await s.hosts.credential('host-2'))!.secretHash, 'secret-hash-2b');
    assert.equal(await s.hosts.replaceSecretHash('nope', 'secret-hash-2b', 'x'), false);
    // secret rotation: a pending hash beside the current one, promoted by compare and set
    assert.equal(await s.hosts.setPendingSecretHash('nope', 'p'), false);
    assert.equal(await s.hosts.setPendingSecretHash('host-2', 'pending-0', 'other'), false, 'compare and set: none');
    assert.equal(await s.hosts.setPendingSecretHash('host-2', 'pending-1', null), true, 'set when none is pending');
    assert.equal(await s.hosts.setPendingSecretHash('host-2', 'pending-x', null), false, 'one is pending now');
    assert.equal((await s.hosts.credential('host-2'))!.pendingSecretHash, 'pending-1');
    assert.equal(await s.hosts.setPendingSecretHash('host-2', 'pending-2', 'pending-1'), true, 'replaced by CAS');
    assert.equal((await s.hosts.credential('host-2'))!.pendingSecretHash, 'pending-2');
    assert.equal(await s.hosts.promotePendingSecret('host-2', 'pending-1'), false, 'stale pending');
    assert.equal(await s.hosts.promotePendingSecret('host-2', 'pending-2'), true);
    assert.deepEqual(await s.hosts.credential('host-2'), {
      secretHash: 'pending-2',
      pendingSecretHash: null,
      revokedAt: null,
    });
    // a rotation queued for an offline agent is taken once (sent by one replica at its presence)
    assert.equal(await s.hosts.queueRotation('nope', now), false);
    assert.equal(await s.hosts.takeQueuedRotation('host-2'), false, 'nothing queued');
    assert.equal(await s.hosts.queueRotation('host-2', now), true);
    assert.equal(await s.hosts.queueRotation('host-2', now), true, 'queued twice is one rotation');
    const takes = await Promise.all([1, 2, 3].map(() => s.hosts.takeQueuedRotation('host-2')));
    assert.deepEqual(
      takes.filter((x) => x),
      [true],
      'exactly one taker',
    );
    assert.equal(await s.hosts.takeQueuedRotation('host-2'), false);
  });

  t('concurrent redeems never overdraw a token', async (s) => {
    await s.tokens.create(newToken('tok-c', 3));
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => s.tokens.redeem('tok-c', now, host(`host-c${i}`), 'h')),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3);
    assert.equal((await s.hosts.list()).length, 3);
  });

  t('host presence, inventory, state and revocation', async (s) => {
    await s.tokens.create(newToken('tok-h', 1));
    await s.tokens.redeem('tok-h', now, host('host-h'), 'h');
    assert.equal(await s.hosts.setPresence('host-h', true, now, { version: '1.2.2' }), true);
    let h0 = (await s.hosts.get('host-h'))!;
    assert.deepEqual([h0.agentVersion, h0.previousAgentVersion, h0.agentPlatform], ['1.2.2', null, null]);
    await s.hosts.setPresence('host-h', true, now, { version: '1.2.3', previous: '1.2.2', platform: 'linux-x64' });
    h0 = (await s.hosts.get('host-h'))!;
    assert.deepEqual([h0.agentVersion, h0.previousAgentVersion, h0.agentPlatform], ['1.2.3', '1.2.2', 'linux-x64']);
    assert.equal(await s.hosts.setPresence('host-unknown', true, now), false);
    await s.hosts.setInventory('host-h', { cpu: { cores: 4 } }, 'abc', now);
    await s.hosts.setState('host-h', { policyVersion: 'p7', models: { anomaly: 'm3' }, errors: [] }, now);
    let h = (await s.hosts.get('host-h'))!;
    assert.deepEqual(
      [
        h.online,
        h.agentVersion,
        h.lastSeen?.toISOString(),
        h.inventory,
        h.inventoryHash,
        h.appliedPolicyVersion,
        h.appliedModels,
      ],
      [true, '1.2.3', now.toISOString(), { cpu: { cores: 4 } }, 'abc', 'p7', { anomaly: 'm3' }],
    );
    assert.equal(await s.hosts.setPresenceMany(['host-h', 'host-unknown'], false, new Date(now.getTime() + 1000)), 1);
    h = (await s.hosts.get('host-h'))!;
    assert.deepEqual(
      [h.online, h.agentVersion, h.lastSeen?.toISOString()],
      [false, '1.2.3', new Date(now.getTime() + 1000).toISOString()],
    );
    assert.equal(await s.hosts.setPresenceMany([], true, now), 0);
    await s.hosts.setPresence('host-h', true, now);
    assert.equal(await s.hosts.markAllOffline(), 1);
    h = await s.hosts.setLabels('host-h', { role: 'db', zone: 'b' });
    assert.deepEqual(
      [h.labels, (await s.hosts.get('host-h'))?.labels],
      [
        { role: 'db', zone: 'b' },
        { role: 'db', zone: 'b' },
      ],
    );
    await assert.rejects(s.hosts.setLabels('host-nope', {}), NotFoundError);
    h = await s.hosts.revoke('host-h', now);
    assert.equal(h.revokedAt?.toISOString(), now.toISOString());
    assert.equal((await s.hosts.credential('host-h'))!.revokedAt?.toISOString(), now.toISOString());
    await assert.rejects(s.hosts.revoke('host-nope', now), NotFoundError);
  });

  t('samples and events are idempotent on (host, seq), listed by time and pruned', async (s) => {
    await s.tokens.create(newToken('tok-s', 2));
    await s.tokens.redeem('tok-s', now, host('host-s'), 'h');
    await s.tokens.redeem('tok-s', now, host('host-t'), 'h');
    const sample = (hostId: string, seq: number, ts: number) => ({
      hostId,
      seq,
      ts,
      schema: 'v1',
      features: { 'cpu.util': seq / 10, 'disk.temp': null },
      scores: null,
      collectors: null,
    });
    assert.equal(
      await s.telemetry.insertSamples([
        sample('host-s', 1, 1000),
        sample('host-s', 2, 2000),
        sample('host-t', 1, 1500),
      ]),
      3,
    );
    assert.equal(
      await s.telemetry.insertSamples([
        sample('host-s', 2, 2000),
        sample('host-s', 3, 3000),
        sample('host-s', 3, 3000),
      ]),
      1,
    );
    const rows = await s.telemetry.listSamples('host-s', {});
    assert.deepEqual(
      rows.map((r) => [r.seq, r.ts, r.features]),
      [
        [1, 1000, { 'cpu.util': 0.1, 'disk.temp': null }],
        [2, 2000, { 'cpu.util': 0.2, 'disk.temp': null }],
        [3, 3000, { 'cpu.util': 0.3, 'disk.temp': null }],
      ],
    );
    assert.deepEqual(
      (await s.telemetry.listSamples('host-s', { since: 1500, until: 3000 })).map((r) => r.seq),
      [2],
    );
    assert.deepEqual(
      (await s.telemetry.listSamples('host-s', { limit: 1 })).map((r) => r.seq),
      [1],
    );
    const ev = {
      hostId: 'host-s',
      seq: 4,
      ts: 2500,
      type: 'heal.executed',
      severity: 'warning',
      message: 'restarted',
      data: { unit: 'nginx' },
    };
    assert.equal(await s.telemetry.insertEvents([ev, ev]), 1);
    assert.deepEqual(await s.telemetry.listEvents('host-s', {}), [ev]);
    assert.deepEqual(await s.telemetry.prune(2500), { samples: 3, events: 0 });
    assert.deepEqual(
      (await s.telemetry.listSamples('host-s', {})).map((r) => r.seq),
      [3],
    );
  });

  t('sample series: one sample per step bucket, the highest anomaly score in each, oldest first', async (s) => {
    await s.tokens.create(newToken('tok-ser', 1));
    await s.tokens.redeem('tok-ser', now, host('host-ser'), 'h');
    const sample = (seq: number, ts: number, score: number | null) => ({
      hostId: 'host-ser',
      seq,
      ts,
      schema: 'v1',
      features: { 'cpu.util': seq },
      scores: score === null ? null : { anomaly: { score, top: [] } },
      collectors: null,
    });
    await s.telemetry.insertSamples([
      sample(1, 10_000, 0.1),
      sample(2, 11_000, 0.9),
      sample(3, 12_000, 0.2),
      sample(4, 20_000, null),
      sample(5, 21_000, null),
      sample(6, 30_000, 0),
      sample(7, 31_000, 0),
      sample(8, 40_000, 1),
    ]);
    const series = await s.telemetry.sampleSeries('host-ser', { since: 10_000, until: 40_000, stepMs: 10_000 });
    assert.deepEqual(
      series.map((r) => [r.seq, r.ts, r.features['cpu.util']]),
      [
        [2, 11_000, 2],
        [4, 20_000, 4],
        [6, 30_000, 6],
      ],
    );
    assert.deepEqual(await s.telemetry.sampleSeries('host-ser', { since: 50_000, until: 60_000, stepMs: 1000 }), []);
    assert.equal((await s.telemetry.sampleSeries('host-ser', { since: 0, until: 50_000, stepMs: 1 })).length, 8);
  });

  t('recent events: the fleet newest first, at most limit, of the given types', async (s) => {
    await s.tokens.create(newToken('tok-rec', 2));
    for (const id of ['host-ra', 'host-rb']) await s.tokens.redeem('tok-rec', now, host(id), 'h');
    const ev = (hostId: string, seq: number, ts: number, type: string) => ({
      hostId,
      seq,
      ts,
      type,
      severity: 'info',
      message: null,
      data: {},
    });
    await s.telemetry.insertEvents([
      ev('host-ra', 1, 1000, 'heal.executed'),
      ev('host-rb', 1, 3000, 'anomaly.started'),
      ev('host-ra', 2, 2000, 'anomaly.ended'),
    ]);
    const key = (r: { hostId: string; ts: number }) => `${r.hostId}@${r.ts}`;
    assert.deepEqual((await s.telemetry.recentEvents({ limit: 2 })).map(key), ['host-rb@3000', 'host-ra@2000']);
    assert.deepEqual((await s.telemetry.recentEvents({ limit: 9, types: ['heal.executed'] })).map(key), [
      'host-ra@1000',
    ]);
  });

  t('latest activity: newest sample ts and anomaly score and newest event ts per host, nulls when none', async (s) => {
    await s.tokens.create(newToken('tok-l', 3));
    for (const id of ['host-l', 'host-m', 'host-n']) await s.tokens.redeem('tok-l', now, host(id), 'h');
    const sample = (hostId: string, seq: number, ts: number, scores: Record<string, unknown> | null) => ({
      hostId,
      seq,
      ts,
      schema: 'v1',
      features: { 'cpu.util': 1 },
      scores,
      collectors: null,
    });
    await s.telemetry.insertSamples([
      sample('host-l', 1, 1000, { anomaly: { score: 0.1 } }),
      sample('host-l', 3, 3000, { anomaly: { score: 0.92, top: [] } }),
      sample('host-l', 2, 2000, { anomaly: { score: 0.5 } }),
      sample('host-m', 1, 1500, null),
    ]);
    await s.telemetry.insertEvents([
      { hostId: 'host-l', seq: 9, ts: 4000, type: 'heal.executed', severity: 'info', data: {} },
      { hostId: 'host-n', seq: 1, ts: 500, type: 'x', severity: 'info', data: {} },
    ]);
    const all = (await s.telemetry.latestActivity()).sort((a, b) => a.hostId.localeCompare(b.hostId));
    assert.deepEqual(all, [
      { hostId: 'host-l', lastSampleAt: 3000, previousSampleAt: 2000, anomaly: 0.92, lastEventAt: 4000 },
      { hostId: 'host-m', lastSampleAt: 1500, previousSampleAt: null, anomaly: null, lastEventAt: null },
      { hostId: 'host-n', lastSampleAt: null, previousSampleAt: null, anomaly: null, lastEventAt: 500 },
    ]);
    assert.deepEqual(await s.telemetry.latestActivity('host-m'), [
      { hostId: 'host-m', lastSampleAt: 1500, previousSampleAt: null, anomaly: null, lastEventAt: null },
    ]);
    assert.deepEqual(await s.telemetry.latestActivity('host-nope'), []);
  });

  t(
    'overview: score peak since a time, newest alert event, newest sample: unhealthy services, disk risk and failed collectors',
    async (s) => {
      await s.tokens.create(newToken('tok-o', 3));
      for (const id of ['host-o', 'host-p', 'host-q']) await s.tokens.redeem('tok-o', now, host(id), 'h');
      const sample = (hostId: string, seq: number, ts: number, score: number | null, unhealthy: number | null) => ({
        hostId,
        seq,
        ts,
        schema: 'v1',
        features: { 'cpu.util': 1, 'services.unhealthy': unhealthy },
        scores: score === null ? null : { anomaly: { score, top: [] } },
        collectors: null,
      });
      const disks = [
        { device: 'sda', probability: 0.2, model: 'disk-failure@4' },
        { device: 'sdb', probability: 0.83, model: 'disk-failure@4' },
      ];
      const collectors = {
        cpu: 'ok',
        smart: 'unavailable: error: smartctl exited 2',
        sensors: 'unavailable: no hwmon sensors',
        disks: 'unavailable: timed out after 5000 ms',
      };
      await s.telemetry.insertSamples([
        sample('host-o', 1, 1000, 0.99, 0),
        sample('host-o', 2, 2000, 0.7, 1),
        { ...sample('host-o', 3, 3000, 0.1, 2), scores: { anomaly: { score: 0.1, top: [] }, disks }, collectors },
        sample('host-p', 1, 2500, null, null),
      ]);
      const alert = (hostId: string, seq: number, ts: number, type: string, data: Record<string, unknown>) => ({
        hostId,
        seq,
        ts,
        type,
        severity: 'warning',
        data,
      });
      await s.telemetry.insertEvents([
        alert('host-o', 10, 1500, 'anomaly.started', { peak: 0.99, startedAt: 1000 }),
        alert('host-o', 11, 2500, 'heal.executed', {}),
        alert('host-p', 1, 1000, 'anomaly.started', { peak: 0.8, startedAt: 900 }),
        alert('host-p', 2, 2000, 'anomaly.ended', { peak: 0.8, startedAt: 900 }),
      ]);
      const all = (await s.telemetry.overview(1500)).sort((a, b) => a.hostId.localeCompare(b.hostId));
      assert.deepEqual(all, [
        {
          hostId: 'host-o',
          peak: 0.7,
          alert: { type: 'anomaly.started', ts: 1500, peak: 0.99, startedAt: 1000 },
          servicesUnhealthy: 2,
          diskRisk: 0.83,
          failedCollectors: ['disks', 'smart'],
        },
        {
          hostId: 'host-p',
          peak: null,
          alert: { type: 'anomaly.ended', ts: 2000, peak: 0.8, startedAt: 900 },
          servicesUnhealthy: null,
          diskRisk: null,
          failedCollectors: [],
        },
        { hostId: 'host-q', peak: null, alert: null, servicesUnhealthy: null, diskRisk: null, failedCollectors: [] },
      ]);
      assert.equal((await s.telemetry.overview(0, 'host-o'))[0]!.peak, 0.99);
      assert.deepEqual(await s.telemetry.overview(0, 'host-nope'), []);
    },
  );

  t('stored host and event JSON that breaks its schema is an error naming the row and field', async (s, sql) => {
    await s.tokens.create(newToken('tok-j', 1));
    await s.tokens.redeem('tok-j', now, host('host-j'), 'h');
    await sql(`UPDATE "Host" SET "labels" = '{"rack":7}' WHERE "id" = 'host-j'`);
    await assert.rejects(
      s.hosts.get('host-j'),
      (e: unknown) => e instanceof StoredDataError && /host 'host-j' labels is not valid: rack/.test(e.message),
    );
    await s.telemetry.insertEvents([{ hostId: 'host-j', seq: 1, ts: 1, type: 'x', severity: 'info', data: {} }]);
    await sql(`UPDATE "Event" SET "data" = '[1,2]' WHERE "hostId" = 'host-j'`);
    await assert.rejects(
      s.telemetry.listEvents('host-j', {}),
      (e: unknown) => e instanceof StoredDataError && /event host-j:1 data is not valid/.test(e.message),
    );
  });

  t('host counts: enrolled = not revoked, online among those', async (s) => {
    await s.tokens.create(newToken('tok-n', 3));
    for (const id of ['host-x', 'host-y', 'host-z']) await s.tokens.redeem('tok-n', now, host(id), 'h');
    await s.hosts.setPresence('host-x', true, now);
    await s.hosts.setPresence('host-y', true, now);
    await s.hosts.revoke('host-y', now);
    assert.deepEqual(await s.hosts.counts(), { enrolled: 2, online: 1 });
  });

  t(
    'telemetry reads of the fleet: event type counts, recent scores, events in commit order, event counts',
    async (s) => {
      await s.tokens.create(newToken('tok-f', 2));
      for (const id of ['host-f', 'host-g']) await s.tokens.redeem('tok-f', now, host(id), 'h');
      assert.equal(await s.telemetry.newestReceived(), null);
      const ev = (hostId: string, seq: number, ts: number, type: string) => ({
        hostId,
        seq,
        ts,
        type,
        severity: 'warning',
        data: { n: seq },
      });
      await s.telemetry.insertEvents([
        ev('host-f', 1, 1000, 'heal.failed'),
        ev('host-f', 2, 2000, 'heal.failed'),
        ev('host-g', 1, 1500, 'anomaly.detected'),
      ]);
      await s.telemetry.insertEvents([ev('host-g', 2, 3000, 'heal.failed')]);
      const counts = await s.telemetry.eventTypeCounts(['host-f', 'host-g'], { since: 1000, until: 3000 });
      assert.deepEqual([...counts].sort(), [
        ['anomaly.detected', 1],
        ['heal.failed', 2],
      ]);
      assert.equal((await s.telemetry.eventTypeCounts([], { since: 0, until: 1e12 })).size, 0);
      assert.deepEqual(
        [await s.telemetry.countEvents(), await s.telemetry.countEvents({ type: 'heal.failed' })],
        [4, 3],
      );
      const all = await s.telemetry.eventsReceivedSince(null, 100);
      assert.deepEqual(
        all.map((e) => `${e.hostId}:${e.seq}`),
        ['host-f:1', 'host-f:2', 'host-g:1', 'host-g:2'],
      );
      assert.deepEqual(all[0]!.data, { n: 1 });
      assert.ok(all.every((e, i) => i === 0 || e.receivedAt >= all[i - 1]!.receivedAt));
      const last = (await s.telemetry.newestReceived())!;
      assert.equal(last.at.getTime(), all[3]!.receivedAt.getTime());
      assert.ok(last.keys.some((k) => k.hostId === 'host-g' && k.seq === 2));
      assert.deepEqual(
        (await s.telemetry.eventsReceivedSince(last.at, 100)).map((e) => `${e.hostId}:${e.seq}`).slice(-1),
        ['host-g:2'],
      );
      assert.deepEqual((await s.telemetry.eventsReceivedSince(null, 2)).length, 2);
      const sample = (seq: number, ts: number, scores: Record<string, unknown> | null) => ({
        hostId: 'host-f',
        seq,
        ts,
        schema: 'v1',
        features: {},
        scores,
        collectors: null,
      });
      await s.telemetry.insertSamples([
        sample(10, 1000, { anomaly: { latencyUs: 40 } }),
        sample(11, 2000, null),
        sample(12, 3000, { anomaly: { latencyUs: 90 } }),
      ]);
      assert.deepEqual(await s.telemetry.recentScores(['host-f'], { since: 0, until: 5000, limit: 10 }), [
        { hostId: 'host-f', ts: 3000, scores: { anomaly: { latencyUs: 90 } } },
        { hostId: 'host-f', ts: 1000, scores: { anomaly: { latencyUs: 40 } } },
      ]);
      assert.deepEqual(await s.telemetry.recentScores(['host-f'], { since: 0, until: 5000, limit: 1 }), [
        { hostId: 'host-f', ts: 3000, scores: { anomaly: { latencyUs: 90 } } },
      ]);
      assert.deepEqual(await s.telemetry.recentScores([], { since: 0, until: 5000, limit: 10 }), []);
    },
  );

  t('users: list, disable, password; API tokens listed per user and revoked once by their owner', async (s) => {
    await s.users.create({ id: 'u-2', username: 'zoe', passwordHash: 'p' });
    await s.users.create({ id: 'u-1', username: 'adam', passwordHash: 'p' });
    assert.deepEqual(
      (await s.users.list()).map((u) => u.username),
      ['adam', 'zoe'],
    );
    assert.equal(await s.users.setDisabled('u-1', now), true);
    assert.equal((await s.users.get('u-1'))!.disabledAt?.toISOString(), now.toISOString());
    assert.equal(await s.users.setDisabled('u-1', null), true);
    assert.equal((await s.users.get('u-1'))!.disabledAt, null);
    assert.equal(await s.users.setDisabled('u-nope', now), false);
    assert.equal(await s.users.setPassword('u-1', 'p2'), true);
    assert.equal((await s.users.get('u-1'))!.passwordHash, 'p2');
    await s.users.createApiToken({ id: 'at-2', userId: 'u-1', name: 'b', tokenHash: 'h' });
    await s.users.createApiToken({ id: 'at-1', userId: 'u-1', name: 'a', tokenHash: 'h' });
    await s.users.createApiToken({ id: 'at-3', userId: 'u-2', name: 'c', tokenHash: 'h' });
    assert.deepEqual((await s.users.listApiTokens('u-1')).map((t) => [t.name, t.lastUsedAt]).sort(), [
      ['a', null],
      ['b', null],
    ]);
    assert.equal(await s.users.revokeApiToken('at-3', 'u-1', now), false, "someone else's token");
    assert.equal(await s.users.revokeApiToken('at-1', 'u-1', now), true);
    assert.equal(await s.users.revokeApiToken('at-1', 'u-1', now), false, 'already revoked');
    assert.equal((await s.users.findApiToken('at-1'))!.revokedAt?.toISOString(), now.toISOString());
    await s.users.touchApiToken('at-2', now);
    assert.equal((await s.users.findApiToken('at-2'))!.lastUsedAt?.toISOString(), now.toISOString());
    // Deleting a user takes their tokens with them and leaves the others.
    assert.equal(await s.users.delete('u-1'), true);
    assert.equal(await s.users.get('u-1'), null);
    assert.equal(await s.users.findApiToken('at-2'), null);
    assert.deepEqual(await s.users.listApiTokens('u-1'), []);
    assert.equal((await s.users.findApiToken('at-3'))!.userId, 'u-2');
    assert.equal(await s.users.delete('u-1'), false);
  });

  t('users and API tokens', async (s) => {
    assert.equal(await s.users.count(), 0);
    const u = await s.users.create({ id: 'u-1', username: 'admin', passwordHash: 'ph' });
    assert.equal((await s.users.findByName('admin'))!.id, u.id);
    const tok = await s.users.createApiToken({ id: 'at-1', userId: 'u-1', name: 'bootstrap', tokenHash: 'th' });
    assert.deepEqual([tok.id, tok.userId, tok.tokenHash, tok.revokedAt], ['at-1', 'u-1', 'th', null]);
    assert.equal((await s.users.findApiToken('at-1'))!.name, 'bootstrap');
    assert.equal(await s.users.findApiToken('nope'), null);
  });

  t('seqSpan: oldest, newest, distinct count and the gaps of a host over samples and events', async (s) => {
    await s.tokens.create(newToken('tok-q', 2));
    await s.tokens.redeem('tok-q', now, host('host-q'), 'h');
    await s.tokens.redeem('tok-q', now, host('host-r'), 'h');
    assert.deepEqual(await s.telemetry.seqSpan('host-q'), {
      oldest: null,
      newest: null,
      stored: 0,
      gaps: [],
      truncated: false,
    });
    const sample = (hostId: string, seq: number) => ({
      hostId,
      seq,
      ts: seq * 1000,
      schema: 'v1',
      features: {},
      scores: null,
      collectors: null,
    });
    const event = (hostId: string, seq: number) => ({
      hostId,
      seq,
      ts: seq * 1000,
      type: 'outbox.dropped',
      severity: 'warning' as const,
      data: {},
    });
    await s.telemetry.insertSamples([3, 4, 8, 9, 13].map((q) => sample('host-q', q)));
    await s.telemetry.insertEvents([5, 20].map((q) => event('host-q', q)));
    await s.telemetry.insertSamples([1, 2, 50].map((q) => sample('host-r', q)));
    assert.deepEqual(await s.telemetry.seqSpan('host-q'), {
      oldest: 3,
      newest: 20,
      stored: 7,
      gaps: [
        [1, 2],
        [6, 7],
        [10, 12],
        [14, 19],
      ],
      truncated: false,
    });
    const capped = await s.telemetry.seqSpan('host-q', 2);
    assert.deepEqual(
      [capped.gaps, capped.truncated],
      [
        [
          [1, 2],
          [6, 7],
          [10, 12],
        ],
        true,
      ],
    );
    assert.deepEqual((await s.telemetry.seqSpan('host-r')).gaps, [[3, 49]]);
  });
}
