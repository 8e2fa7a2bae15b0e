/**
 * The rotation secret is recomputed from its pending hash with the signing key, and with nothing less: another key,
 * another agent id or a hash of a random secret (an earlier release) give nothing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { hashRandomSecret, randomSecret, verifySecret } from '../keys/secrets.ts';
import { createRotationSecrets } from './rotation-secret.ts';

describe('rotation secrets', () => {
  const secrets = createRotationSecrets(generateKeyPairSync('ed25519').privateKey);

  it('recovers the drawn secret from its hash; each draw is a new secret', async () => {
    const a = secrets.draw('agent-1');
    assert.ok(a.secret.length >= 43, '256 bits');
    assert.ok(await verifySecret(a.secret, a.hash));
    assert.equal(await secrets.recover('agent-1', a.hash), a.secret);
    assert.notEqual(secrets.draw('agent-1').secret, a.secret);
  });

  it('gives nothing for another key, another agent or a hash it did not draw', async () => {
    const a = secrets.draw('agent-1');
    const other = createRotationSecrets(generateKeyPairSync('ed25519').privateKey);
    assert.equal(await other.recover('agent-1', a.hash), null);
    assert.equal(await secrets.recover('agent-2', a.hash), null);
    assert.equal(await secrets.recover('agent-1', hashRandomSecret(randomSecret(32))), null);
    assert.equal(await secrets.recover('agent-1', 'scrypt$16384$8$1$c2FsdA$aGFzaA'), null);
  });
});
