/**
 * Secret rotation's decisions over a real SQLite store (docs/tls.md): pending from the request until the agent's
 * presence names the new secret; sent at once to an online agent, at its presence to an offline one; sent again,
 * the same secret freshly signed, at every presence that names another secret; the broker account changed only at
 * completion; one rotation when asked twice or by two requests at once; nothing for a revoked host. The broker side is
 * recorded (test/integration/rotate-race.test.ts runs it for real over MQTT).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConflictError, NotFoundError } from '../../contract/errors.ts';
import type { Command, PresenceMessage } from '../../contract/protocol/index.ts';
import { secretIdOf } from '../../contract/protocol/secret-id.ts';
import { verifyEnvelope } from '../../contract/signing/signature.ts';
import { loadOrCreateSigningKey } from '../keys/signing-key.ts';
import { hashRandomSecret, randomSecret, verifySecret } from '../keys/secrets.ts';
import { openStore } from '../store/prisma-store.ts';
import type { Store } from '../store/ports.ts';
import { createSecretRotation, type SecretRotation } from './secret-rotation.ts';

describe('secret rotation: pending until the agent names the new secret', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rotation-'));
  const key = loadOrCreateSigningKey(dir);
  let store: Store;
  let clock = Date.parse('2030-01-01T00:00:00Z');
  const sent: { agentId: string; command: Command }[] = [];
  const broker: { agentId: string; secret: string }[] = [];
  const promoted: string[] = [];
  let failPublish = false;
  let rot: SecretRotation;
  const presence = (secretId?: string): PresenceMessage => ({
    v: 1,
    state: 'online',
    ts: clock,
    agentVersion: '1',
    ...(secretId ? { secretId } : {}),
  });
  /** The last command's secret and time, after checking its signature and that its hash is the pending one. */
  const lastSent = async (agentId: string) => {
    const c = sent.at(-1)!;
    assert.equal(c.agentId, agentId);
    const envelope = c.command.type === 'rotate-secret' ? c.command.envelope : null;
    const payload = verifyEnvelope(envelope, key.publicKeyPem, 'secret-rotation');
    assert.equal(payload['agentId'], agentId);
    const pending = (await store.hosts.credential(agentId))!.pendingSecretHash!;
    assert.ok(await verifySecret(payload['secret'] as string, pending), 'the pending hash is of the sent secret');
    return { secret: payload['secret'] as string, issuedAt: payload['issuedAt'] as number };
  };
  const reset = () => {
    sent.length = 0;
    broker.length = 0;
    promoted.length = 0;
  };

  before(async () => {
    store = await openStore({ provider: 'sqlite', file: join(dir, 'h.db') });
    rot = createSecretRotation({
      hosts: store.hosts,
      signingKey: key,
      now: () => clock,
      rotateBrokerAccount: async (agentId, secret) => void broker.push({ agentId, secret }),
      publishCommand: async (agentId, command) => {
        if (failPublish) throw new Error('broker unreachable');
        sent.push({ agentId, command });
      },
      onPromoted: (agentId) => void promoted.push(agentId),
    });
    await store.tokens.create({
      id: 'tok',
      tokenHash: 'h',
      labels: {},
      maxUses: 10,
      expiresAt: new Date(Date.now() + 60_000),
      createdBy: null,
    });
    for (const id of ['agent-on', 'agent-off', 'agent-rev', 'agent-fail', 'agent-old', 'agent-race'])
      await store.tokens.redeem('tok', new Date(), { id, hostname: id, labels: {}, agentVersion: '1' }, `hash-${id}`);
    await store.hosts.setPresence('agent-on', true, new Date());
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an online agent gets the command at once; lost, it comes again at each presence until the agent names it', async () => {
    reset();
    const r = await rot.rotate('agent-on');
    assert.deepEqual(r, { agentId: 'agent-on', requestedAt: '2030-01-01T00:00:00.000Z', online: true, queued: false });
    const first = await lastSent('agent-on');
    assert.deepEqual(broker, [], 'the broker account keeps the current secret until the agent holds the new one');
    // the command was lost (it reached the broker before the agent subscribed): the presence names the old secret
    clock += 1000;
    assert.equal(await rot.onPresence('agent-on', presence(secretIdOf('the-old-secret'))), 'resent');
    const again = await lastSent('agent-on');
    assert.equal(again.secret, first.secret, 'the same secret');
    assert.ok(again.issuedAt > first.issuedAt, 'freshly signed: newer than the first');
    assert.equal(await rot.onPresence('agent-on', presence()), 'resent', 'an agent that names no secret');
    assert.equal((await rot.rotate('agent-on')).online, true);
    assert.equal((await lastSent('agent-on')).secret, first.secret, 'asked again while pending: the same rotation');
    assert.equal(sent.length, 4);
    assert.deepEqual(promoted, []);
    // the agent stored it and names it: completed, the broker account gets it now
    assert.equal(await rot.onPresence('agent-on', presence(secretIdOf(first.secret))), 'promoted');
    assert.deepEqual(broker, [{ agentId: 'agent-on', secret: first.secret }]);
    assert.deepEqual(promoted, ['agent-on']);
    const cred = (await store.hosts.credential('agent-on'))!;
    assert.equal(cred.pendingSecretHash, null);
    assert.ok(await verifySecret(first.secret, cred.secretHash), 'the new secret is the only one');
    assert.equal(await rot.onPresence('agent-on', presence(secretIdOf(first.secret))), 'none');
    assert.equal(sent.length, 4, 'nothing more sent');
  });

  it('an offline agent: pending, nothing sent; sent at its presence, completed at the next', async () => {
    reset();
    const r = await rot.rotate('agent-off');
    assert.equal(r.queued, true);
    assert.equal(r.online, false);
    assert.deepEqual(sent, []);
    assert.deepEqual(broker, [], 'the broker account keeps the current secret');
    assert.equal(await rot.onPresence('agent-off', { ...presence(), state: 'offline' }), 'none');
    const both = await Promise.all([rot.rotate('agent-off'), rot.rotate('agent-off')]);
    assert.ok(both.every((x) => x.queued));
    await store.hosts.setPresence('agent-off', true, new Date());
    assert.equal(await rot.onPresence('agent-off', presence(secretIdOf('old'))), 'resent');
    const { secret } = await lastSent('agent-off');
    assert.equal(await rot.onPresence('agent-off', presence(secretIdOf(secret))), 'promoted');
    assert.deepEqual(broker, [{ agentId: 'agent-off', secret }]);
  });

  it('two requests at once store one rotation', async () => {
    reset();
    await store.hosts.setPresence('agent-race', true, new Date());
    await Promise.all([rot.rotate('agent-race'), rot.rotate('agent-race'), rot.rotate('agent-race')]);
    assert.equal(sent.length, 3);
    const secrets = sent.map((s) =>
      s.command.type === 'rotate-secret'
        ? verifyEnvelope(s.command.envelope, key.publicKeyPem, 'secret-rotation')['secret']
        : null,
    );
    assert.equal(new Set(secrets).size, 1, 'every request sent the one pending secret');
    await lastSent('agent-race');
  });

  it('a host revoked while its rotation is pending gets nothing', async () => {
    reset();
    assert.equal((await rot.rotate('agent-rev')).queued, true);
    await store.hosts.revoke('agent-rev', new Date());
    assert.equal(await rot.onPresence('agent-rev', presence(secretIdOf('old'))), 'none');
    assert.deepEqual(sent, []);
    await assert.rejects(rot.rotate('agent-rev'), (e) => e instanceof ConflictError && e.reason === 'revoked');
    await assert.rejects(rot.rotate('agent-nope'), NotFoundError);
  });

  it('a command that could not be sent stays pending for the next presence', async () => {
    reset();
    assert.equal((await rot.rotate('agent-fail')).queued, true);
    failPublish = true;
    await assert.rejects(rot.onPresence('agent-fail', presence()), /broker unreachable/);
    failPublish = false;
    assert.equal(await rot.onPresence('agent-fail', presence()), 'resent');
    await lastSent('agent-fail');
  });

  it('what an earlier release left: a queued mark starts a rotation, an unrecoverable pending one is replaced', async () => {
    reset();
    assert.equal(await store.hosts.queueRotation('agent-old', new Date()), true);
    assert.equal(await rot.onPresence('agent-old', presence()), 'resent');
    assert.equal(await store.hosts.takeQueuedRotation('agent-old'), false, 'the mark was taken');
    const legacy = randomSecret(32);
    await store.hosts.setPendingSecretHash('agent-old', hashRandomSecret(legacy));
    assert.equal(await rot.onPresence('agent-old', presence(secretIdOf(legacy))), 'resent');
    const { secret } = await lastSent('agent-old');
    assert.notEqual(secret, legacy);
  });
});
