/**
 * The host-cordon part of the Store contract (HostRepository `cordon`, `uncordon`, `cordonFromEvent`), registered by
 * prisma-store.test.ts for SQLite and PostgreSQL beside `runStoreContract`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotFoundError } from '../../contract/errors.ts';
import type { Store } from './ports.ts';
import type { OpenStore } from './store.contract.ts';

export function runCordonContract(name: string, open: OpenStore, skip: string | false = false): void {
  const t = (title: string, fn: (store: Store) => Promise<void>) =>
    test(`${name}: ${title}`, { skip }, async () => {
      const { store, cleanup } = await open();
      try {
        await fn(store);
      } finally {
        await cleanup();
      }
    });
  const t0 = new Date('2030-01-01T00:00:00Z');
  const later = (ms: number) => new Date(t0.getTime() + ms);
  async function enrolled(s: Store, id: string) {
    await s.tokens.create({
      id: `tok-${id}`,
      tokenHash: 'h',
      labels: {},
      maxUses: 1,
      expiresAt: later(3_600_000),
      createdBy: null,
    });
    return s.tokens.redeem(`tok-${id}`, t0, { id, hostname: `${id}.local`, labels: {}, agentVersion: '1' }, 'h');
  }

  t('cordon keeps the first who/why/since; uncordon lifts it; unknown hosts are NotFoundError', async (s) => {
    assert.equal((await enrolled(s, 'host-c')).cordon, null);
    const first = await s.hosts.cordon('host-c', { at: t0, by: 'alice', source: 'user', reason: 'disk swap' });
    assert.deepEqual(first.changed, true);
    assert.deepEqual(first.host.cordon, { at: t0, by: 'alice', source: 'user', reason: 'disk swap' });
    const again = await s.hosts.cordon('host-c', { at: later(1), by: 'bob', source: 'user', reason: 'other' });
    assert.equal(again.changed, false);
    assert.deepEqual((await s.hosts.get('host-c'))?.cordon, {
      at: t0,
      by: 'alice',
      source: 'user',
      reason: 'disk swap',
    });
    assert.deepEqual(
      (await s.hosts.list()).map((h) => h.cordon?.by),
      ['alice'],
    );
    const lifted = await s.hosts.uncordon('host-c', later(2));
    assert.deepEqual([lifted.changed, lifted.host.cordon], [true, null]);
    assert.equal((await s.hosts.uncordon('host-c', later(3))).changed, false);
    await assert.rejects(s.hosts.cordon('host-nope', { at: t0, by: 'a', source: 'user', reason: 'r' }), NotFoundError);
    await assert.rejects(s.hosts.uncordon('host-nope', t0), NotFoundError);
  });

  t('a stored heal.cordon event cordons its host once; one committed before an uncordon does not again', async (s) => {
    await enrolled(s, 'host-e');
    const event = (seq: number, type = 'heal.cordon') => ({
      hostId: 'host-e',
      seq,
      ts: 1000 + seq,
      type,
      severity: 'critical',
      message: `drain this host: seq ${seq}`,
      data: { policy: 'p', incident: 'i' },
    });
    await s.telemetry.insertEvents([event(1), event(2, 'heal.notify')]);
    assert.equal(await s.hosts.cordonFromEvent('host-e', 2), false, 'not a heal.cordon');
    assert.equal(await s.hosts.cordonFromEvent('host-e', 99), false, 'no such event');
    assert.equal(await s.hosts.cordonFromEvent('host-e', 1), true);
    const c = (await s.hosts.get('host-e'))!.cordon!;
    assert.deepEqual([c.by, c.source, c.reason], ['host-e', 'agent', 'drain this host: seq 1']);
    assert.equal(await s.hosts.cordonFromEvent('host-e', 1), false, 'already cordoned');
    // Uncordoned after the event was committed: the same event re-sent (a lost ack) does not cordon it again …
    await s.hosts.uncordon('host-e', new Date(Date.now() + 60_000));
    assert.equal(await s.hosts.cordonFromEvent('host-e', 1), false);
    assert.equal((await s.hosts.get('host-e'))!.cordon, null);
    // … but a new request committed after the (next) uncordon does.
    await s.hosts.cordon('host-e', { at: t0, by: 'x', source: 'user', reason: 'x' });
    await s.hosts.uncordon('host-e', new Date(Date.now() - 60_000));
    await s.telemetry.insertEvents([event(3)]);
    assert.equal(await s.hosts.cordonFromEvent('host-e', 3), true);
    assert.equal((await s.hosts.get('host-e'))!.cordon?.reason, 'drain this host: seq 3');
  });
}
