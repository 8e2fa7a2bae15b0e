import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { openStore } from '../store/prisma-store.ts';
import { createCounters } from '../metrics/counters.ts';
import { createIngester } from './ingester.ts';

test('one batch: samples, presence of many hosts and acks after commit; commit and presence listeners see the rows first', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ingest-'));
  const store = await openStore({ provider: 'sqlite', file: join(dir, 'h.db') });
  try {
    const ids = ['host-a', 'host-b', 'host-c'];
    await store.tokens.create({
      id: 'tok',
      tokenHash: 'h',
      labels: {},
      maxUses: 3,
      expiresAt: new Date(Date.now() + 60_000),
      createdBy: null,
    });
    for (const id of ids)
      await store.tokens.redeem('tok', new Date(), { id, hostname: id, labels: {}, agentVersion: '1' }, 'x');
    const log: string[] = [];
    const counters = createCounters();
    let acked!: () => void;
    const allAcked = new Promise<void>((r) => {
      acked = r;
    });
    const ing = createIngester({
      store,
      counters,
      log: pino({ level: 'silent' }),
      now: () => Date.parse('2030-01-01T00:00:00Z'),
      publishAck: (agentId, ranges) => {
        log.push(`ack ${agentId} ${JSON.stringify(ranges)}`);
        if (agentId === 'host-b') acked();
      },
    });
    ing.onCommitted(({ samples }) => log.push(`committed ${samples.map((s) => `${s.hostId}:${s.seq}`).join(',')}`));
    // presence listeners run once the presence is stored (the last message per agent); a failing one fails nothing
    const presence: string[] = [];
    ing.onPresence(async (agentId, p) => {
      presence.push(`${agentId} ${p.state} stored online: ${(await store.hosts.get(agentId))?.online}`);
    });
    ing.onPresence(async () => {
      throw new Error('a presence listener that fails');
    });
    ing.start();
    const sample = (seq: number) => ({ seq, ts: 1000 + seq, schema: 'host-v1', features: { 'cpu.util': 0.5 } });
    for (const id of ids)
      assert.equal(ing.offer({ kind: 'presence', agentId: id, message: { v: 1, state: 'online', ts: 1 } }), true);
    ing.offer({ kind: 'presence', agentId: 'host-c', message: { v: 1, state: 'offline', ts: 2 } });
    ing.offer({ kind: 'telemetry', agentId: 'host-a', samples: [sample(1), sample(2)] });
    ing.offer({ kind: 'telemetry', agentId: 'host-b', samples: [sample(7)] });
    await allAcked;
    await ing.stop();
    assert.deepEqual(log, ['committed host-a:1,host-a:2,host-b:7', 'ack host-a [[1,2]]', 'ack host-b [[7,7]]']);
    for (const end = Date.now() + 30_000; presence.length < 3 && Date.now() < end; )
      await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(presence.sort(), [
      'host-a online stored online: true',
      'host-b online stored online: true',
      'host-c offline stored online: false',
    ]);
    const hosts = await store.hosts.list();
    assert.deepEqual(
      hosts.map((h) => [h.id, h.online, h.lastSeen?.toISOString()]),
      [
        ['host-a', true, '2030-01-01T00:00:00.000Z'],
        ['host-b', true, '2030-01-01T00:00:00.000Z'],
        ['host-c', false, '2030-01-01T00:00:00.000Z'],
      ],
    );
    assert.equal(counters.get('ingest.samples.accepted'), 3);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the room offered is bounded by bytes: maxQueueBytes over the mean wire bytes per record', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ingest-'));
  const store = await openStore({ provider: 'sqlite', file: join(dir, 'h.db') });
  try {
    const ing = createIngester({
      store,
      counters: createCounters(),
      log: pino({ level: 'silent' }),
      publishAck: () => {},
      capacity: 50_000,
      batchSize: 100,
      maxQueueBytes: 1_000_000,
    });
    ing.start();
    assert.equal(ing.limit, 50_000);
    ing.noteRecordBytes(36_000, 10); // 3.6 KB per record: 277 records fit in 1 MB
    assert.equal(ing.limit, 278);
    assert.equal(ing.tryReserve(278), true);
    assert.equal(ing.tryReserve(1), false);
    ing.release(278);
    ing.noteRecordBytes(1_300, 10); // smaller records drift the mean down and the room up
    for (let i = 0; i < 200; i++) ing.noteRecordBytes(1_300, 10);
    assert.ok(ing.limit > 5_000, `limit ${ing.limit}`);
    await ing.stop(1000);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
