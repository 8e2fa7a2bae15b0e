import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../store/prisma-store.ts';
import { hashSecret, randomSecret, verifySecret } from '../keys/secrets.ts';
import { createCounters } from '../metrics/counters.ts';
import { createAuthenticator } from './authenticate.ts';

test('a connect storm is verified through a bounded pool; identical attempts share one scrypt; cached afterwards', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'auth-'));
  const store = await openStore({ provider: 'sqlite', file: join(dir, 'h.db') });
  try {
    const ids = ['agent-a1', 'agent-a2', 'agent-a3', 'agent-a4'];
    await store.tokens.create({
      id: 'tok',
      tokenHash: 'h',
      labels: {},
      maxUses: ids.length,
      expiresAt: new Date(Date.now() + 60_000),
      createdBy: null,
    });
    const hash = await hashSecret('s3cret');
    for (const id of ids)
      await store.tokens.redeem('tok', new Date(), { id, hostname: id, labels: {}, agentVersion: '1' }, hash);
    const counters = createCounters();
    const auth = createAuthenticator({
      hosts: store.hosts,
      internalSecret: 'internal',
      counters,
      maxConcurrentVerifications: 1,
    });
    const pw = (s: string) => Buffer.from(s);
    // Every agent at once, agent-a1 twice (a client that timed out and retried), and one wrong secret.
    const results = await Promise.all([
      ...ids.map((id) => auth.authenticate(id, id, pw('s3cret'))),
      auth.authenticate('agent-a1', 'agent-a1', pw('s3cret')),
      auth.authenticate('agent-a2', 'agent-a2', pw('wrong')),
    ]);
    assert.deepEqual(results, [
      ...ids.map((id) => ({ ok: true, agentId: id })),
      { ok: true, agentId: 'agent-a1' },
      { ok: false, reason: 'bad-secret', returnCode: 4 },
    ]);
    assert.equal(counters.get('broker.auth.verifications'), 5, 'one scrypt per distinct (agent, secret)');
    assert.deepEqual(await auth.authenticate('agent-a3', 'agent-a3', pw('s3cret')), { ok: true, agentId: 'agent-a3' });
    assert.equal(counters.get('broker.auth.verifications'), 5, 'reconnect served from the cache');
    assert.equal(counters.get('broker.auth.accepted.cached'), 1);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an agent enrolled with a scrypt-hashed secret gets the fast hash at its first verified connection, and still connects', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'auth-'));
  const store = await openStore({ provider: 'sqlite', file: join(dir, 'h.db') });
  try {
    await store.tokens.create({
      id: 'tok',
      tokenHash: 'h',
      labels: {},
      maxUses: 1,
      expiresAt: new Date(Date.now() + 60_000),
      createdBy: null,
    });
    const secret = randomSecret();
    await store.tokens.redeem(
      'tok',
      new Date(),
      { id: 'agent-old', hostname: 'old', labels: {}, agentVersion: '1' },
      await hashSecret(secret),
    );
    const counters = createCounters();
    const auth = createAuthenticator({ hosts: store.hosts, internalSecret: 'internal', counters });
    assert.deepEqual(await auth.authenticate('agent-old', 'agent-old', Buffer.from('not-the-secret-at-all-xxxxxxx')), {
      ok: false,
      reason: 'bad-secret',
      returnCode: 4,
    });
    assert.match(
      (await store.hosts.credential('agent-old'))!.secretHash,
      /^scrypt\$/,
      'a failed attempt changes nothing',
    );
    assert.deepEqual(await auth.authenticate('agent-old', 'agent-old', Buffer.from(secret)), {
      ok: true,
      agentId: 'agent-old',
    });
    assert.equal(counters.get('broker.auth.rehashed'), 1);
    const stored = (await store.hosts.credential('agent-old'))!.secretHash;
    assert.match(stored, /^hmac-sha256\$/);
    assert.equal(await verifySecret(secret, stored), true);
    const fresh = createAuthenticator({ hosts: store.hosts, internalSecret: 'internal', counters: createCounters() });
    assert.deepEqual(
      await fresh.authenticate('agent-old', 'agent-old', Buffer.from(secret)),
      { ok: true, agentId: 'agent-old' },
      'after a restart, against the new hash',
    );
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
