/**
 * The secret of a pending rotation, recoverable from its stored hash so the control plane can send the same secret
 * again (any replica, after a restart) until the agent is known to hold it, while still storing only a hash.
 *
 * The secret is HMAC-SHA256(K, agentId ‖ salt), K derived (HKDF) from the control plane's signing key, which every
 * replica shares; the salt is 16 random bytes and is the salt of the stored hash. So the secret can be recomputed
 * from the pending hash and the signing key, and from nothing less: a database dump alone does not give it. Holding
 * the signing key already means controlling every agent (it signs their policies and rotations), so this adds no
 * power to it. Pure apart from the random salt.
 */
import { createHmac, hkdfSync, type KeyObject, randomBytes } from 'node:crypto';
import { fastHashSalt, hashRandomSecret, verifySecret } from '../keys/secrets.ts';

/** A rotation's secret and the hash stored as pending. */
export type RotationSecret = { secret: string; hash: string };

/** Draws and recovers rotation secrets with a key derived from `signingKey` (the ed25519 private key). */
export function createRotationSecrets(signingKey: KeyObject) {
  const ikm = signingKey.export({ format: 'der', type: 'pkcs8' });
  const key = Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), 'homeostat/secret-rotation/v1', 32));
  const derive = (agentId: string, salt: Buffer) =>
    createHmac('sha256', key).update(`${agentId}\u0000`).update(salt).digest('base64url');
  return {
    /** A new secret for `agentId` with its hash. */
    draw(agentId: string, salt: Buffer = randomBytes(16)): RotationSecret {
      const secret = derive(agentId, salt);
      return { secret, hash: hashRandomSecret(secret, salt) };
    },
    /** The secret behind a pending hash, or null when it was not drawn here (another key, an older release). */
    async recover(agentId: string, pendingHash: string): Promise<string | null> {
      const salt = fastHashSalt(pendingHash);
      if (!salt) return null;
      const secret = derive(agentId, salt);
      return (await verifySecret(secret, pendingHash)) ? secret : null;
    },
  };
}

export type RotationSecrets = ReturnType<typeof createRotationSecrets>;
