import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openStore } from '../../store/prisma-store.ts';
import type { EventRow, SampleRow, Store } from '../../store/ports.ts';
import { createTestDatabase, pgSkipReason } from '../../../test/support/postgres.ts';

/** Values whose JSON text is easy to get wrong: escapes, non-ASCII, exponents, big and tiny numbers, nulls. */
const samples: SampleRow[] = [
  {
    hostId: 'h1',
    seq: 1,
    ts: 1_765_000_000_000,
    schema: 'v3',
    features: { 'cpu.busy_pct': 12.5, 'mem.free': null, tiny: 1.5e-7, big: 1e21, sum: 0.1 + 0.2, zero: 0 },
    collectors: { cpu: 'ok', disk: 'unavailable: "no" \\ /sys/é 😀' },
    scores: { anomaly: { score: 0.12, model: 'm@1', top: [{ feature: 'cpu.busy_pct', contribution: 0.4 }] } },
  },
  { hostId: 'h1', seq: 2, ts: 1_765_000_000_001, schema: 'v3', features: {}, collectors: null, scores: null },
];
const events: EventRow[] = [
  {
    hostId: 'h1',
    seq: 3,
    ts: 5,
    type: 'heal.executed',
    severity: 'info',
    message: 'ok',
    data: { a: [1, { b: 'c"d' }] },
  },
  { hostId: 'h1', seq: 4, ts: 6, type: 'x.y', severity: 'warning', message: null, data: {} },
];

async function roundTrip(store: Store & { db: { $queryRawUnsafe<T>(sql: string): Promise<T> } }) {
  await store.tokens.create({
    id: 'et1',
    tokenHash: 'x',
    labels: {},
    maxUses: 1,
    expiresAt: new Date(Date.now() + 3_600_000),
    createdBy: null,
  });
  await store.tokens.redeem('et1', new Date(), { id: 'h1', hostname: 'h1', labels: {}, agentVersion: 'b' }, 'hash');
  assert.equal(await store.telemetry.insertSamples(samples), 2);
  assert.equal(await store.telemetry.insertSamples(samples), 0); // idempotent per (host, seq)
  assert.equal(await store.telemetry.insertEvents(events), 2);
  assert.deepEqual(await store.telemetry.listSamples('h1', {}), samples);
  assert.deepEqual(await store.telemetry.listEvents('h1', {}), events);
}

describe('telemetry repository: inserted rows read back exactly', () => {
  it('SQLite (JSON columns stored as the text JSON.stringify writes)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'homeostat-telemetry-'));
    const store = await openStore({ provider: 'sqlite', file: join(dir, 'h.db') });
    try {
      await roundTrip(store);
      const raw = await store.db.$queryRawUnsafe<
        { features: string; collectors: string | null; scores: string | null }[]
      >(
        'SELECT CAST("features" AS TEXT) AS features, CAST("collectors" AS TEXT) AS collectors, CAST("scores" AS TEXT) AS scores FROM "Sample" ORDER BY "seq"',
      );
      assert.deepEqual(
        raw.map((r) => [r.features, r.collectors, r.scores]),
        samples.map((s) => [
          JSON.stringify(s.features),
          s.collectors ? JSON.stringify(s.collectors) : null,
          s.scores ? JSON.stringify(s.scores) : null,
        ]),
      );
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('PostgreSQL', { skip: pgSkipReason }, async () => {
    const db = await createTestDatabase();
    const store = await openStore({ provider: 'postgres', url: db.url });
    try {
      await roundTrip(store);
    } finally {
      await store.close();
      await db.drop();
    }
  });
});
