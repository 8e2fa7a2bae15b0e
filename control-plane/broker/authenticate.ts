/**
 * MQTT authentication: enrolled, non-revoked agents (username = client id = agentId, password = secret, checked
 * against the stored hash) and the control plane's internal client. Verified secrets are cached in memory as a
 * SHA-256 digest so reconnect storms cost one hash lookup, not one verification each; known-bad pairs are cached too.
 * An agent enrolled when secrets were stored as scrypt gets its hash re-stored in the fast form at its first verified
 * connection, so the next control-plane restart does not pay scrypt for it again.
 */
import { availableParallelism } from 'node:os';
import { AGENT_ID_PATTERN } from '../../contract/protocol/index.ts';
import { cacheDigest, hashRandomSecret, isSlowHash, verifySecret } from '../keys/secrets.ts';
import type { HostRepository } from '../store/ports.ts';
import type { Counters } from '../metrics/counters.ts';

/** Username of the in-process control-plane client. */
export const INTERNAL_USERNAME = '$homeostat-internal';

export type AuthResult = { ok: true; agentId: string | null } | { ok: false; reason: AuthRefusal; returnCode: 4 | 5 };
export type AuthRefusal =
  | 'no-credentials'
  | 'bad-username'
  | 'client-id-mismatch'
  | 'unknown-agent'
  | 'revoked'
  | 'bad-secret'
  | 'bad-internal-secret';

export type Authenticator = {
  authenticate(clientId: string, username: string | undefined, password: Buffer | undefined): Promise<AuthResult>;
  /** Forgets cached verifications of this agent and refuses it from now on. */
  revoke(agentId: string): void;
  /** Forgets cached verifications of this agent (its secret was rotated: the old one must be checked again). */
  forget(agentId: string): void;
  /** Whether this process has seen the agent revoked (at a revocation, or refused as revoked at a connect). */
  isRevoked(agentId: string): boolean;
};

/**
 * `maxConcurrentVerifications` (default: cores − 1, at least 1) bounds parallel verifications. Agent secrets are stored
 * as fast salted HMACs (keys/secrets.ts), but agents enrolled earlier have scrypt hashes: scrypt runs on
 * libuv's 4-thread pool, and a reconnect storm of uncached agents would otherwise take every core from the event
 * loop that ingests the agents already connected. Concurrent attempts with the same credentials share one verification.
 */
export function createAuthenticator(opts: {
  hosts: HostRepository;
  internalSecret: string;
  counters: Counters;
  maxCache?: number;
  maxConcurrentVerifications?: number;
  /** An agent connected with its rotated secret for the first time (the old one is refused from now on). */
  onSecretRotated?: (agentId: string) => void;
}): Authenticator {
  const verified = new Map<string, string>();
  const inFlight = new Map<string, Promise<boolean>>();
  const slots = opts.maxConcurrentVerifications ?? Math.max(1, availableParallelism() - 1);
  let running = 0;
  const waiting: (() => void)[] = [];
  const limited = async (secret: string, hash: string): Promise<boolean> => {
    if (running >= slots)
      await new Promise<void>((r) => waiting.push(r)); // the slot is handed over, see finally
    else running++;
    opts.counters.inc('broker.auth.verifications');
    try {
      return await verifySecret(secret, hash);
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
  const failed = new Map<string, number>();
  const revoked = new Set<string>();
  const maxCache = opts.maxCache ?? 100_000;

  const refuse = (reason: AuthRefusal, returnCode: 4 | 5 = 4): AuthResult => {
    opts.counters.inc(`broker.auth.refused.${reason}`);
    return { ok: false, reason, returnCode };
  };

  return {
    async authenticate(clientId, username, password) {
      if (!username || !password) return refuse('no-credentials');
      const secret = password.toString('utf8');
      if (username === INTERNAL_USERNAME) {
        return secret === opts.internalSecret ? { ok: true, agentId: null } : refuse('bad-internal-secret');
      }
      if (!AGENT_ID_PATTERN.test(username)) return refuse('bad-username');
      // A client id equal to the agent id stops one agent from taking over another's session.
      if (clientId !== username) return refuse('client-id-mismatch', 5);
      if (revoked.has(username)) return refuse('revoked', 5);
      const digest = cacheDigest(username, secret);
      if (verified.get(username) === digest) {
        opts.counters.inc('broker.auth.accepted.cached');
        return { ok: true, agentId: username };
      }
      if (failed.has(digest)) return refuse('bad-secret');
      const cred = await opts.hosts.credential(username);
      if (!cred) return refuse('unknown-agent');
      if (cred.revokedAt) {
        revoked.add(username);
        return refuse('revoked', 5);
      }
      const key = `${digest}\u0000${cred.secretHash}`;
      let check = inFlight.get(key);
      if (!check) {
        check = limited(secret, cred.secretHash).finally(() => inFlight.delete(key));
        inFlight.set(key, check);
      }
      // Secret rotation (enrollment/secret-rotation.ts): the secret sent to the agent works beside the old one until
      // the agent first uses it; then it is the only one, and the old one is refused from here on.
      if (!(await check) && cred.pendingSecretHash && (await limited(secret, cred.pendingSecretHash))) {
        if (await opts.hosts.promotePendingSecret(username, cred.pendingSecretHash)) {
          opts.counters.inc('broker.auth.secret-rotated');
          opts.onSecretRotated?.(username);
        }
        verified.set(username, digest);
        opts.counters.inc('broker.auth.accepted');
        return { ok: true, agentId: username };
      }
      if (!(await check)) {
        if (failed.size >= maxCache) failed.delete(failed.keys().next().value!);
        failed.set(digest, Date.now());
        return refuse('bad-secret');
      }
      if (verified.size >= maxCache) verified.delete(verified.keys().next().value!);
      verified.set(username, digest);
      if (isSlowHash(cred.secretHash) && secret.length >= 22) {
        await opts.hosts.replaceSecretHash(username, cred.secretHash, hashRandomSecret(secret)).then(
          (replaced) => {
            if (replaced) opts.counters.inc('broker.auth.rehashed');
          },
          () => opts.counters.inc('broker.auth.rehash-failed'), // the scrypt hash stays valid; next connection tries again
        );
      }
      opts.counters.inc('broker.auth.accepted');
      return { ok: true, agentId: username };
    },
    revoke(agentId) {
      verified.delete(agentId);
      revoked.add(agentId);
    },
    forget(agentId) {
      verified.delete(agentId);
      failed.clear(); // a rotated secret tried too early is not refused for good
    },
    isRevoked: (agentId) => revoked.has(agentId),
  };
}
