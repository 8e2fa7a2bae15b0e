/**
 * Bearer API-token authentication for admin endpoints: `Authorization: Bearer hat_<id>.<secret>`. Verified tokens are
 * cached as a SHA-256 digest (scrypt is deliberately slow); revocation clears the cache entry via `forget`.
 */
import { createMiddleware } from 'hono/factory';
import { UnauthenticatedError } from '../../contract/errors.ts';
import { cacheDigest, parseBearer, verifySecret } from '../keys/secrets.ts';
import { API_TOKEN_PREFIX } from '../admin/bootstrap.ts';
import type { UserRepository } from '../store/ports.ts';

export type Principal = { userId: string; username: string; tokenId: string };
export type AuthEnv = { Variables: { principal: Principal } };

export function createApiAuth(users: UserRepository) {
  const cache = new Map<string, Principal>();
  async function authenticate(header: string | undefined): Promise<Principal> {
    const value = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    if (!value) throw new UnauthenticatedError('Authorization: expected "Bearer <api token>"');
    const digest = cacheDigest(value);
    const hit = cache.get(digest);
    if (hit) return hit;
    const parsed = parseBearer(API_TOKEN_PREFIX, value);
    const token = parsed ? await users.findApiToken(parsed.id) : null;
    if (!parsed || !token || token.revokedAt || !(await verifySecret(parsed.secret, token.tokenHash)))
      throw new UnauthenticatedError('Authorization: API token is not valid');
    const user = await users.get(token.userId);
    if (!user || user.disabledAt) throw new UnauthenticatedError('Authorization: API token owner is disabled');
    const principal = { userId: user.id, username: user.username, tokenId: token.id };
    if (cache.size > 10_000) cache.clear();
    cache.set(digest, principal);
    return principal;
  }
  return {
    authenticate,
    /** Hono middleware that requires a valid token and sets `principal`. */
    required: createMiddleware<AuthEnv>(async (c, next) => {
      // Already authenticated by the access middleware (session cookie or token, role checked): keep that principal.
      if (!c.get('principal')) c.set('principal', await authenticate(c.req.header('Authorization')));
      await next();
    }),
  };
}
