import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { openStore } from '../store/prisma-store.ts';
import type { Store } from '../store/ports.ts';
import { createCounters } from '../metrics/counters.ts';
import { createTestDatabase, pgSkipReason } from '../../test/support/postgres.ts';
import { createIngester, type IngestItem, type Quarantined } from './ingester.ts';
import { isDataError } from './poison.ts';

/**
 * Items that passed no admission check (as if a schema let them through) reach the real database: the ones it
 * refuses are quarantined and acked as rejected, everything else of the same batches is stored exactly once and acked.
 */
async function poisonRun(store: Store): Promise<void> {
  const ids = ['host-good', 'host-bad'];
  await store.tokens.create({
    id: 'tok',
    tokenHash: 'h',
    labels: {},
    maxUses: 2,
    expiresAt: new Date(Date.now() + 60_000),
    createdBy: null,
  });
  for (const id of ids)
    await store.tokens.redeem('tok', new Date(), { id, hostname: id, labels: {}, agentVersion: '1' }, 'x');
  const counters = createCounters();
  const acked = new Map<string, Set<number>>();
  const rejected: { agentId: string; seq: number; reason: string }[] = [];
  const quarantined: Quarantined[] = [];
  const ing = createIngester({
    store,
    counters,
    log: pino({ level: 'silent' }),
    publishAck: (agentId, ranges, rej) => {
      const set = acked.get(agentId) ?? acked.set(agentId, new Set()).get(agentId)!;
      for (const [a, b] of ranges) for (let s = a; s <= b; s++) set.add(s);
      for (const r of rej ?? []) rejected.push({ agentId, ...r });
    },
  });
  ing.onQuarantined((q) => quarantined.push(q));
  ing.start();
  const sample = (seq: number, collector = 'ok') => ({
    seq,
    ts: 1000 + seq,
    schema: 'host-v1',
    features: { 'cpu.util': 0.5 },
    collectors: { proc: collector },
  });
  const items: IngestItem[] = [];
  for (let seq = 1; seq <= 40; seq++) items.push({ kind: 'telemetry', agentId: 'host-good', samples: [sample(seq)] });
  // The M1 payloads, straight into ingest: inventory, state, an event message and a collector string.
  items.splice(5, 0, {
    kind: 'inventory',
    agentId: 'host-bad',
    message: { v: 1, ts: 1, hash: 'h', inventory: { x: '\ud800' } },
  });
  items.splice(9, 0, {
    kind: 'state',
    agentId: 'host-bad',
    message: { v: 1, ts: 1, policyVersion: 'p', models: {}, errors: ['\ud800'] },
  });
  items.splice(12, 0, {
    kind: 'events',
    agentId: 'host-bad',
    events: [{ seq: 1, ts: 1, type: 'x.y', severity: 'info', message: 'bad \udc00', data: {} }],
  });
  items.splice(15, 0, {
    kind: 'telemetry',
    agentId: 'host-bad',
    samples: [sample(2, 'unavailable: \ud83d'), sample(3)],
  });
  for (const it of items) assert.equal(ing.offer(it), true);
  // The poisoning agent's later valid sample is stored too.
  ing.offer({ kind: 'telemetry', agentId: 'host-bad', samples: [sample(4)] });
  const deadline = Date.now() + 60_000;
  while (
    (acked.get('host-good')?.size ?? 0) < 40 ||
    !(acked.get('host-bad')?.has(4) && acked.get('host-bad')?.has(2))
  ) {
    assert.ok(Date.now() < deadline, `acks: ${JSON.stringify([...acked].map(([k, v]) => [k, [...v]]))}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  await ing.stop();
  const good = await store.telemetry.listSamples('host-good', { limit: 100 });
  assert.deepEqual(
    good.map((s) => s.seq),
    Array.from({ length: 40 }, (_, i) => i + 1),
  );
  // SQLite stores a lone surrogate inside JSON text as an escape; PostgreSQL refuses it: either way seq 2 is answered
  // exactly once (stored, or refused with a reason) and never holds up the rest.
  const bad = (await store.telemetry.listSamples('host-bad', { limit: 100 })).map((s) => s.seq);
  const refusedSeqs = rejected
    .filter((r) => r.agentId === 'host-bad')
    .map((r) => r.seq)
    .sort();
  assert.deepEqual(
    [...bad, ...refusedSeqs.filter((s) => s === 2)].sort(),
    [2, 3, 4],
    JSON.stringify({ bad, rejected }),
  );
  assert.equal(counters.get('ingest.samples.accepted'), 40 + bad.length);
  // Refused seqs are acked with a reason; host updates are quarantined without an ack (they carry no seq).
  for (const r of rejected) assert.match(r.reason, /^database refused the (sample|event): /);
  const kinds = quarantined.map((q) => q.kind).sort();
  assert.ok(kinds.includes('inventory') && kinds.includes('state'), JSON.stringify(quarantined));
  if (store.provider === 'postgres')
    assert.ok(kinds.includes('telemetry') && kinds.includes('events'), JSON.stringify(quarantined));
  assert.ok((counters.get('ingest.quarantined.inventory') ?? 0) >= 1);
  const host = await store.hosts.get('host-bad');
  assert.equal(host?.inventory, null, 'the poisoned inventory is not stored');
}

describe('ingest isolates a record the database refuses (M1)', () => {
  it('SQLite: the rest of the batch is stored once and acked; the poison is quarantined with a reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'poison-'));
    const store = await openStore({ provider: 'sqlite', file: join(dir, 'h.db') });
    try {
      await poisonRun(store);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('PostgreSQL: the same', { skip: pgSkipReason }, async () => {
    const db = await createTestDatabase();
    const store = await openStore({ provider: 'postgres', url: db.url });
    try {
      await poisonRun(store);
    } finally {
      await store.close();
      await db.drop();
    }
  });

  it('a database that refuses everything is retried, not quarantined, and stop() holds its deadline', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'poison-'));
    const real = await openStore({ provider: 'sqlite', file: join(dir, 'h.db') });
    // Fault injection at the port: every write fails as if the database were down.
    const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const store: Store = {
      ...real,
      telemetry: {
        ...real.telemetry,
        insertSamples: async () => {
          throw down;
        },
      },
    };
    const counters = createCounters();
    const acks: unknown[] = [];
    const ing = createIngester({
      store,
      counters,
      log: pino({ level: 'silent' }),
      publishAck: (...a) => acks.push(a),
      probe: async () => {
        throw down;
      },
    });
    ing.start();
    try {
      for (let seq = 1; seq <= 10; seq++)
        ing.offer({ kind: 'telemetry', agentId: 'h', samples: [{ seq, ts: seq, schema: 'host-v1', features: {} }] });
      const deadline = Date.now() + 30_000;
      while ((counters.get('ingest.batch.retries') ?? 0) < 2) {
        assert.ok(Date.now() < deadline);
        await new Promise((r) => setTimeout(r, 20));
      }
      const t0 = Date.now();
      await ing.stop(300);
      assert.ok(Date.now() - t0 < 5_000, `stop took ${Date.now() - t0} ms`);
      assert.deepEqual(acks, [], 'nothing acked while the database is down');
      assert.equal(counters.get('ingest.quarantined.telemetry') ?? 0, 0);
    } finally {
      await real.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('classifies data errors by SQLSTATE and driver message, not outages', () => {
    assert.equal(isDataError(Object.assign(new Error('x'), { code: '22P02' })), true);
    assert.equal(isDataError(new Error('JSON Error: unexpected end of hex escape')), true);
    assert.equal(isDataError({ message: 'wrapped', cause: { code: '22021' } }), true);
    assert.equal(isDataError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), false);
    assert.equal(isDataError(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })), false);
  });
});
