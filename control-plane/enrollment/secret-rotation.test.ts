/**
 * Secret rotation's decisions over a real SQLite store (docs/tls.md): sent at once to an online agent, queued for an
 * offline one (nothing drawn, no broker change), delivered once at its presence, dropped for a host revoked meanwhile,
 * kept queued when sending fails. The broker side is recorded (test/integration/rotate-offline.test.ts runs it for
 * real over MQTT).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConflictError, NotFoundError } from '../../contract/errors.ts';
import type { Command } from '../../contract/protocol/index.ts';
import { verifyEnvelope } from '../../contract/signing/signature.ts';
import { loadOrCreateSigningKey } from '../keys/signing-key.ts';
import { verifySecret } from '../keys/secrets.ts';
import { openStore } from '../store/prisma-store.ts';
import type { Store } from '../store/ports.ts';
import { createSecretRotation } from './secret-rotation.ts';

describe('secret rotation: sent, queued, delivered once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rotation-'));
  const key = loadOrCreateSigningKey(dir);
  let store: Store;
  const sent: { agentId: string; command: Command }[] = [];
  const broker: string[] = [];
  let failPublish = false;
  const rotation = () =>
    createSecretRotation({
      hosts: store.hosts,
      signingKey: key,
      now: () => Date.parse('2030-01-01T00:00:00Z'),
      rotateBrokerAccount: async (agentId) => {
        broker.push(agentId);
      },
      publishCommand: async (agentId, command) => {
        if (failPublish) throw new Error('broker unreachable');
        sent.push({ agentId, command });
      },
    });
  /** The secret of the last command sent, after checking its signature and that only its hash is pending. */
  const lastSecret = async (agentId: string) => {
    const c = sent.at(-1)!;
    assert.equal(c.agentId, agentId);
    assert.equal(c.command.type, 'rotate-secret');
    const envelope = c.command.type === 'rotate-secret' ? c.command.envelope : null;
    const payload = verifyEnvelope(envelope, key.publicKeyPem, 'secret-rotation');
    assert.equal(payload['agentId'], agentId);
    const pending = (await store.hosts.credential(agentId))!.pendingSecretHash!;
    assert.ok(await verifySecret(payload['secret'] as string, pending), 'the pending hash is of the sent secret');
    return payload['secret'] as string;
  };

  before(async () => {
    store = await openStore({ provider: 'sqlite', file: join(dir, 'h.db') });
    await store.tokens.create({
      id: 'tok',
      tokenHash: 'h',
      labels: {},
      maxUses: 5,
      expiresAt: new Date(Date.now() + 60_000),
      createdBy: null,
    });
    for (const id of ['agent-on', 'agent-off', 'agent-rev', 'agent-fail'])
      await store.tokens.redeem('tok', new Date(), { id, hostname: id, labels: {}, agentVersion: '1' }, `hash-${id}`);
    await store.hosts.setPresence('agent-on', true, new Date());
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an online agent gets the signed command at once', async () => {
    const r = await rotation().rotate('agent-on');
    assert.deepEqual(r, {
      agentId: 'agent-on',
      requestedAt: '2030-01-01T00:00:00.000Z',
      online: true,
      queued: false,
    });
    assert.deepEqual(broker, ['agent-on']);
    await lastSecret('agent-on');
  });

  it('an offline agent: queued, nothing drawn or sent; delivered once when it comes online', async () => {
    const rot = rotation();
    sent.length = 0;
    broker.length = 0;
    const r = await rot.rotate('agent-off');
    assert.equal(r.queued, true);
    assert.equal(r.online, false);
    assert.equal((await rot.rotate('agent-off')).queued, true, 'asked twice: still one rotation');
    assert.deepEqual(sent, []);
    assert.deepEqual(broker, [], 'the broker account keeps the current secret');
    assert.equal((await store.hosts.credential('agent-off'))!.pendingSecretHash, null);
    await store.hosts.setPresence('agent-off', true, new Date());
    const delivered = await Promise.all([rot.deliverQueued('agent-off'), rot.deliverQueued('agent-off')]);
    assert.deepEqual(delivered.sort(), [false, true], 'one presence handler sends it');
    assert.equal(sent.length, 1);
    assert.deepEqual(broker, ['agent-off']);
    await lastSecret('agent-off');
    assert.equal(await rot.deliverQueued('agent-off'), false, 'a later presence sends nothing');
  });

  it('a host revoked while its rotation was queued gets nothing', async () => {
    const rot = rotation();
    sent.length = 0;
    assert.equal((await rot.rotate('agent-rev')).queued, true);
    await store.hosts.revoke('agent-rev', new Date());
    assert.equal(await rot.deliverQueued('agent-rev'), false);
    assert.deepEqual(sent, []);
    await assert.rejects(rot.rotate('agent-rev'), (e) => e instanceof ConflictError && e.reason === 'revoked');
    await assert.rejects(rot.rotate('agent-nope'), NotFoundError);
  });

  it('a queued rotation that could not be sent stays queued for the next presence', async () => {
    const rot = rotation();
    sent.length = 0;
    assert.equal((await rot.rotate('agent-fail')).queued, true);
    failPublish = true;
    await assert.rejects(rot.deliverQueued('agent-fail'), /broker unreachable/);
    failPublish = false;
    assert.equal(await rot.deliverQueued('agent-fail'), true);
    await lastSecret('agent-fail');
  });
});
