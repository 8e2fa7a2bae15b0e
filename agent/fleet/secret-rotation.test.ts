/**
 * The agent's side of secret rotation (docs/tls.md): a signed command for this agent is stored and the link told;
 * the same rotation sent again (the control plane resends until the agent's presence names the new secret) keeps the
 * old secret as the fallback; replays, other agents' commands and forged ones change nothing.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from '../../contract/protocol/index.ts';
import { signEnvelope } from '../../contract/signing/signature.ts';
import { type Credentials, loadCredentials } from '../enroll/credentials.ts';
import { createSecretRotationHandler } from './secret-rotation.ts';

const key = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const OLD = 'the-enrolment-secret-0000000000';
const NEW = 'the-rotated-secret-11111111111111';

const command = (
  payload: Record<string, unknown>,
  privateKey = key.privateKey,
): Extract<Command, { type: 'rotate-secret' }> => ({
  v: 1,
  type: 'rotate-secret',
  envelope: { ...signEnvelope('secret-rotation', payload, privateKey) },
});

describe('agent secret rotation handler', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agent-rotation-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const credentials: Credentials = {
    agentId: 'agent-1',
    secret: OLD,
    server: 'http://127.0.0.1:1',
    mqttUrl: 'mqtt://127.0.0.1:1',
    publicKey: key.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    labels: {},
    hostname: 'h',
    enrolledAt: 1,
  };
  const reconnects: [string, string][] = [];
  const handle = createSecretRotationHandler({
    credentials,
    stateDir: dir,
    reconnectWith: (secret, previous) => void reconnects.push([secret, previous]),
  });

  it('stores the new secret (the old one as fallback) and reconnects with it', () => {
    assert.equal(handle(command({ agentId: 'agent-1', secret: NEW, issuedAt: 100 })), null);
    assert.deepEqual(reconnects, [[NEW, OLD]]);
    const saved = loadCredentials(dir)!;
    assert.equal(saved.secret, NEW);
    assert.equal(saved.previousSecret, OLD);
    assert.equal(saved.rotatedAt, 100);
    assert.equal(credentials.secret, NEW, 'updated in place');
  });

  it('takes the same rotation sent again as one: the fallback stays the old secret', () => {
    assert.equal(handle(command({ agentId: 'agent-1', secret: NEW, issuedAt: 200 })), null);
    assert.deepEqual(reconnects.at(-1), [NEW, OLD]);
    const saved = loadCredentials(dir)!;
    assert.equal(saved.previousSecret, OLD, 'not the new secret twice');
    assert.equal(saved.rotatedAt, 200, 'the replay mark moves on');
  });

  it('refuses replays, other agents and forgeries without changing anything', () => {
    const before = reconnects.length;
    assert.match(handle(command({ agentId: 'agent-1', secret: NEW, issuedAt: 200 }))!, /replayed/);
    assert.match(handle(command({ agentId: 'agent-2', secret: NEW, issuedAt: 300 }))!, /addressed to agent-2/);
    assert.ok(handle(command({ agentId: 'agent-1', secret: OLD, issuedAt: 300 }, other.privateKey)));
    assert.equal(reconnects.length, before);
    assert.equal(loadCredentials(dir)!.secret, NEW);
  });
});
