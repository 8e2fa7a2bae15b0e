/**
 * The single authorization gate: every request is looked up in the route → role table (route-table.ts), the caller
 * resolved (session cookie, API token or agent Basic credentials), and refused with 401/403 before any route runs.
 * Every state-changing request is written to the audit trail with its outcome.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { ForbiddenError, UnauthenticatedError } from '../../contract/errors.ts';
import { actorName, type Principal } from './principal.ts';
import { roleAtLeast } from './roles.ts';
import { accessFor } from './route-table.ts';
import { requestDetail } from './request-detail.ts';

/** Hono variables set by the middleware. `principal` mirrors the core's shape for user callers. */
export type AccessEnv = {
  Variables: { access: Principal; principal: { userId: string; username: string; tokenId: string } };
};

/** What the middleware needs. */
export interface AccessMiddlewareDeps {
  /** Resolves the caller; null when no credentials were presented. Throws UnauthenticatedError for bad ones. */
  resolve(c: Context): Promise<Principal | null>;
  /** Audit sink for state-changing requests (optional). */
  audit?(entry: {
    actor: string;
    actorType: 'user' | 'agent' | 'anonymous';
    action: string;
    target: string;
    detail: Record<string, unknown>;
  }): Promise<void>;
  /** A host's name by id, for the audit detail of host routes (optional). */
  hostnameOf?(id: string): Promise<string | null>;
}

/** Creates the middleware; mount it before every route (`app.use('*', mw)`). */
export function createAccessMiddleware(deps: AccessMiddlewareDeps): MiddlewareHandler<AccessEnv> {
  return async (c, next) => {
    const { access, pattern } = accessFor(c.req.method, c.req.path);
    const unsafe = c.req.method !== 'GET' && c.req.method !== 'HEAD' && c.req.method !== 'OPTIONS';
    if (access === 'public') {
      await next();
      // A login refused before the route ran (invalid or oversized body) is still a failed login.
      if (deps.audit && pattern === '/api/auth/login' && (c.res.status === 400 || c.res.status === 413)) {
        await deps.audit({
          actor: 'anonymous',
          actorType: 'anonymous',
          action: 'auth.login-failed',
          target: c.req.path,
          detail: { status: c.res.status, reason: 'invalid request' },
        });
      }
      if (unsafe && deps.audit && pattern !== '/api/auth/login' && pattern !== '/api/enroll') {
        await deps.audit({
          actor: 'anonymous',
          actorType: 'anonymous',
          action: `${c.req.method} ${pattern ?? c.req.path}`,
          target: c.req.path,
          detail: { status: c.res.status },
        });
      }
      return;
    }
    const p = await deps.resolve(c);
    if (!p)
      throw new UnauthenticatedError(
        'credentials required: session cookie, "Authorization: Bearer <api token>" or agent Basic credentials',
      );
    if (access === 'agent') {
      if (p.kind !== 'agent' && !(p.kind === 'user' && p.role === 'admin'))
        throw new ForbiddenError(p.kind === 'user' ? p.role : 'agent', 'agent');
    } else {
      if (p.kind !== 'user') throw new ForbiddenError('agent', access);
      if (!roleAtLeast(p.role, access)) throw new ForbiddenError(p.role, access);
    }
    c.set('access', p);
    if (p.kind === 'user') c.set('principal', { userId: p.userId, username: p.username, tokenId: p.tokenId ?? '' });
    await next();
    if (unsafe && deps.audit) {
      await deps.audit({
        actor: actorName(p),
        actorType: p.kind,
        action: `${c.req.method} ${pattern ?? c.req.path}`,
        target: c.req.path,
        detail: await requestDetail(c, c.res.status, deps.hostnameOf?.bind(deps)),
      });
    }
  };
}
