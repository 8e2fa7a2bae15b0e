import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../store/prisma-store.ts';
import { createEventBus, type StreamEvent } from './stream.ts';
import { healEvent, startStreamFeed } from './stream-feed.ts';

test('the live stream says when a host is cordoned (who, from where, why) and uncordoned; heal.cordon is an action', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'feed-cordon-'));
  const store = await openStore({ provider: 'sqlite', file: join(dir, 'h.db') });
  const now = 1_900_000_000_000;
  const bus = createEventBus();
  const seen: StreamEvent[] = [];
  bus.subscribe((e) => seen.push(e));
  const feed = startStreamFeed({
    hosts: store.hosts,
    rollouts: store.rollouts,
    incidents: store.incidents,
    bus,
    // polled by hand below
    timers: { setInterval: () => 0, clearInterval: () => {} },
    clock: () => now,
    onCommitted: () => () => {},
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
    await store.tokens.redeem('tok', new Date(now), { id: 'h1', hostname: 'h1', labels: {}, agentVersion: '1' }, 'x');
    await feed.poll(); // takes stock: nothing published
    await store.hosts.cordon('h1', { at: new Date(now), by: 'olga', source: 'user', reason: 'disk swap' });
    await feed.poll();
    await store.hosts.uncordon('h1', new Date(now + 1));
    await feed.poll();
    await feed.poll(); // unchanged: nothing more
    assert.deepEqual(
      seen.filter((e) => e.type === 'cordon'),
      [
        { type: 'cordon', hostId: 'h1', cordoned: true, source: 'user', by: 'olga', reason: 'disk swap', ts: now },
        { type: 'cordon', hostId: 'h1', cordoned: false, source: null, by: null, reason: null, ts: now },
      ],
    );
    const row = {
      hostId: 'h1',
      seq: 3,
      ts: now,
      type: 'heal.cordon',
      severity: 'critical',
      message: 'drain this host: disk',
      data: { policy: 'p', incident: 'i' },
    };
    assert.deepEqual(healEvent(row), { type: 'action', hostId: 'h1', action: 'cordon', outcome: 'requested', ts: now });
  } finally {
    await feed.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
