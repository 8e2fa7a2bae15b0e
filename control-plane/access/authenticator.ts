/**
 * Resolves the caller of a request: session cookie (web UI), `Authorization: Bearer hat_…` (API tokens, via the core's
 * token check) or `Authorization: Basic agentId:secret` (agents downloading models). Roles come from UserRole /
 * ApiTokenRole rows; users and tokens created outside the access API (the bootstrap admin and its token) are admins.
 */
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { UnauthenticatedError } from '../../contract/errors.ts';
import { cacheDigest, verifySecret } from '../keys/secrets.ts';
import type { HostRepository, UserRepository } from '../store/ports.ts';
import type { RoleRepository } from '../repositories/role-repository.ts';
import type { Principal } from './principal.ts';
import { asRole, weakerRole, type Role } from './roles.ts';
import { SESSION_COOKIE, type Sessions } from './sessions.ts';

/** Dependencies: the core's bearer check, users and hosts (agent credentials), sessions, and the roles. */
export interface AuthenticatorDeps {
  users: UserRepository;
  roles: RoleRepository;
  sessions: Sessions;
  hosts: HostRepository;
  bearer: (header: string) => Promise<{ userId: string; username: string; tokenId: string }>;
}

/** Returns `resolve(c)` for the access middleware. */
export function createAuthenticator(deps: AuthenticatorDeps): (c: Context) => Promise<Principal | null> {
  // Verified agent secrets, by the stored hash they matched. A hit saves the verification (scrypt for old hashes), not
  // the read: the host row is read at every request, so a revocation or a completed rotation (the hash replaced)
  // takes effect at once and an old secret is never accepted from the cache.
  const agentCache = new Map<string, { agentId: string; hash: string }>();
  const userRole = async (userId: string): Promise<Role> => asRole(await deps.roles.userRole(userId), 'admin');
  return async (c) => {
    const header = c.req.header('Authorization');
    if (header?.startsWith('Bearer ')) {
      const p = await deps.bearer(header);
      // The bearer check caches verified tokens; revocation and disabling must still take effect at once.
      const live = await deps.users.findApiToken(p.tokenId);
      const owner = live && !live.revokedAt ? await deps.users.get(live.userId) : null;
      if (!live || live.revokedAt || !owner || owner.disabledAt)
        throw new UnauthenticatedError('Authorization: API token is revoked or its owner is disabled');
      // "Last used", at most one write a minute per token.
      const now = new Date();
      if (!live.lastUsedAt || now.getTime() - live.lastUsedAt.getTime() >= 60_000)
        await deps.users.touchApiToken(p.tokenId, now);
      const tokenRole = asRole(await deps.roles.tokenRole(p.tokenId), 'admin');
      return {
        kind: 'user',
        userId: p.userId,
        username: p.username,
        tokenId: p.tokenId,
        via: 'token',
        role: weakerRole(tokenRole, await userRole(p.userId)),
      };
    }
    if (header?.startsWith('Basic ')) {
      const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const agentId = decoded.slice(0, colon);
      const secret = decoded.slice(colon + 1);
      const key = cacheDigest(agentId, secret);
      const cred = colon > 0 ? await deps.hosts.credential(agentId) : null;
      const hit = agentCache.get(key);
      const live = (hash: string) => !!cred && (cred.secretHash === hash || cred.pendingSecretHash === hash);
      if (cred && !cred.revokedAt && hit && hit.agentId === agentId && live(hit.hash))
        return { kind: 'agent', agentId };
      const matched = cred && !cred.revokedAt ? await matchingHash(secret, cred) : null;
      if (!matched) {
        agentCache.delete(key);
        throw new UnauthenticatedError('Authorization: agent credentials are not valid');
      }
      if (agentCache.size > 10_000) agentCache.clear();
      agentCache.set(key, { agentId, hash: matched });
      return { kind: 'agent', agentId };
    }
    const cookie = getCookie(c, SESSION_COOKIE);
    if (cookie) {
      const s = await deps.sessions.lookup(cookie);
      if (!s) throw new UnauthenticatedError('session expired or logged out; log in again');
      return { kind: 'user', userId: s.userId, username: s.username, via: 'session', role: await userRole(s.userId) };
    }
    return null;
  };
}

/** The stored hash (current, else pending after a rotation) the secret verifies against, or null. */
async function matchingHash(
  secret: string,
  cred: { secretHash: string; pendingSecretHash?: string | null },
): Promise<string | null> {
  if (await verifySecret(secret, cred.secretHash)) return cred.secretHash;
  if (cred.pendingSecretHash && (await verifySecret(secret, cred.pendingSecretHash))) return cred.pendingSecretHash;
  return null;
}
