/**
 * Access routes: login/logout/me, users with roles, API tokens with roles, and the audit trail (query + export).
 * Authorization is done by the access middleware from route-table.ts; these handlers only read `access`.
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { getCookie } from 'hono/cookie';
import { z } from 'zod';
import { ConflictError, ForbiddenError, NotFoundError, UnauthenticatedError } from '../../contract/errors.ts';
import { formatBearer, hashRandomSecret, hashSecret, randomId, randomSecret } from '../keys/secrets.ts';
import { jsonBody, queryOf } from '../api/validate.ts';
import { shaped } from '../api/respond.ts';
import {
  ApiTokenList,
  AuditList,
  CreatedApiToken,
  LoggedIn,
  LoggedOut,
  Me,
  RevokedApiToken,
  User,
  UserList,
} from '../../contract/api/access.ts';
import type { UserRepository } from '../store/ports.ts';
import { Deleted } from '../../contract/api/common.ts';
import type { RoleRepository } from '../repositories/role-repository.ts';
import type { AccessEnv } from './access-middleware.ts';
import { auditToCsv, auditToJsonLines, type AuditLog } from './audit-log.ts';
import { actorName } from './principal.ts';
import { asRole, ROLES } from './roles.ts';
import { createLoginThrottle, type LoginThrottle } from './login-throttle.ts';
import { SESSION_COOKIE, type Sessions } from './sessions.ts';

const Login = z.object({ username: z.string().min(1).max(128), password: z.string().min(1).max(1024) });
const NewUser = z.object({
  username: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[a-z0-9][a-z0-9._-]*$/i, 'usernames use letters, digits and . _ -'),
  password: z.string().min(12, 'at least 12 characters').max(1024),
  role: z.enum(ROLES),
});
const PatchUser = z.object({
  role: z.enum(ROLES).optional(),
  disabled: z.boolean().optional(),
  password: z.string().min(12).max(1024).optional(),
});
const NewToken = z.object({ name: z.string().min(1).max(64), role: z.enum(ROLES) });
const ms = z.coerce.number().int().nonnegative();
const NewOwnToken = z.object({ name: z.string().min(1).max(64) });
const AuditQ = z.object({
  since: ms.optional(),
  until: ms.optional(),
  actor: z.string().max(200).optional(),
  action: z.string().max(200).optional(),
  target: z.string().max(500).optional(),
  /** Free text: every whitespace-separated term must occur in the actor, action, target or detail. */
  q: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100_000).optional(),
  order: z.enum(['asc', 'desc']).default('asc'),
  format: z.enum(['csv', 'jsonl']).default('jsonl'),
});

/** Dependencies of the access routes; `throttle` defaults to login-throttle.ts's defaults on the real clock. */
export interface AccessRouteDeps {
  roles: RoleRepository;
  users: UserRepository;
  sessions: Sessions;
  audit: AuditLog;
  secureCookies?: boolean;
  throttle?: LoginThrottle;
}

/** The client's address as the socket sees it (no proxy headers are trusted); null outside the Node server. */
function clientAddress(c: Context): string | null {
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    return null;
  }
}

/** Mount under `/api`. */
export function accessRoutes(deps: AccessRouteDeps) {
  const userJson = async (u: {
    id: string;
    username: string;
    createdAt: Date;
    disabledAt: Date | null;
  }): Promise<User> => ({
    id: u.id,
    username: u.username,
    createdAt: u.createdAt.toISOString(),
    disabled: u.disabledAt !== null,
    role: asRole(await deps.roles.userRole(u.id), 'admin'),
  });
  const throttle = deps.throttle ?? createLoginThrottle();
  /**
   * Refuses a change that would lock admins out: `what` ('delete', 'disable' or 'demote') of your own account, or of
   * the last enabled admin.
   */
  const guardAdmins = async (c: Context<AccessEnv>, id: string, what: 'delete' | 'disable' | 'demote') => {
    const p = c.get('access');
    if (p.kind === 'user' && p.userId === id)
      throw new ConflictError(`you cannot ${what} your own account; another admin can`, 'own-account');
    const enabledAdmins: string[] = [];
    for (const u of await deps.users.list())
      if (!u.disabledAt && asRole(await deps.roles.userRole(u.id), 'admin') === 'admin') enabledAdmins.push(u.id);
    if (enabledAdmins.length === 1 && enabledAdmins[0] === id)
      throw new ConflictError(`cannot ${what} the last enabled admin; make another user admin first`, 'last-admin');
  };
  const audited = (c: Context<AccessEnv>, action: string, target: string, detail: Record<string, unknown>) =>
    deps.audit.record({ actor: actorName(c.get('access')), actorType: 'user', action, target, detail });
  const login = async (c: Context, body: z.output<typeof Login>) => {
    const address = clientAddress(c);
    try {
      throttle.attempt(body.username, address);
    } catch (err) {
      await deps.audit.record({
        actor: `user:${body.username}`,
        actorType: 'anonymous',
        action: 'auth.login-throttled',
        target: null,
        detail: { address },
      });
      throw err;
    }
    try {
      const { value, session } = await deps.sessions.login(body.username, body.password);
      throttle.succeed(body.username, address);
      setCookie(c, SESSION_COOKIE, value, {
        httpOnly: true,
        sameSite: 'Strict',
        path: '/',
        secure: deps.secureCookies ?? false,
        expires: session.expiresAt,
      });
      await deps.audit.record({
        actor: `user:${session.username}`,
        actorType: 'user',
        action: 'auth.login',
        target: null,
        detail: {},
      });
      return c.json(shaped(LoggedIn, { username: session.username, expiresAt: session.expiresAt.toISOString() }));
    } catch (err) {
      if (!(err instanceof UnauthenticatedError)) throttle.abandon(body.username, address);
      await deps.audit.record({
        actor: `user:${body.username}`,
        actorType: 'anonymous',
        action: 'auth.login-failed',
        target: null,
        detail: { address },
      });
      throw err;
    }
  };
  const logout = async (c: Context) => {
    const v = getCookie(c, SESSION_COOKIE);
    if (v) await deps.sessions.logout(v);
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.json(shaped(LoggedOut, { loggedOut: true }));
  };
  const me = (c: Context<AccessEnv>) => {
    const p = c.get('access');
    const body: Me =
      p.kind === 'user'
        ? { kind: p.kind, username: p.username, role: p.role, via: p.via, user: { username: p.username, role: p.role } }
        : { kind: p.kind, agentId: p.agentId };
    return c.json(shaped(Me, body));
  };
  return (
    new Hono<AccessEnv>()
      .post('/auth/login', jsonBody(Login, 'login'), (c) => login(c, c.req.valid('json')))
      .post('/auth/logout', logout)
      .get('/auth/me', me)
      // The web UI's names for the same three.
      .post('/session', jsonBody(Login, 'login'), (c) => login(c, c.req.valid('json')))
      .delete('/session', logout)
      .get('/session', me)
      // The caller's own API tokens (role = the caller's role).
      .get('/api-tokens', async (c) => {
        const p = c.get('access');
        if (p.kind !== 'user') return c.json(shaped(ApiTokenList, { tokens: [] }));
        const rows = await deps.users.listApiTokens(p.userId);
        const tokens = rows.map((t) => ({
          id: t.id,
          name: t.name,
          createdAt: t.createdAt.toISOString(),
          lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
          revokedAt: t.revokedAt?.toISOString() ?? null,
        }));
        return c.json(shaped(ApiTokenList, { tokens }));
      })
      .post('/api-tokens', jsonBody(NewOwnToken, 'API token'), async (c) => {
        const p = c.get('access');
        if (p.kind !== 'user') throw new ForbiddenError('agent', 'viewer');
        const body = c.req.valid('json');
        const tokenId = randomId('tok');
        const secret = randomSecret();
        await deps.users.createApiToken({
          id: tokenId,
          userId: p.userId,
          name: body.name,
          tokenHash: hashRandomSecret(secret),
        });
        await deps.roles.setTokenRole(tokenId, p.role);
        await deps.audit.record({
          actor: actorName(p),
          actorType: 'user',
          action: 'token.created',
          target: tokenId,
          detail: { userId: p.userId, role: p.role },
        });
        return c.json(
          shaped(CreatedApiToken, {
            id: tokenId,
            name: body.name,
            role: p.role,
            token: formatBearer('hat', tokenId, secret),
          }),
          201,
        );
      })
      .delete('/api-tokens/:id', async (c) => {
        const p = c.get('access');
        const id = c.req.param('id');
        const revoked = p.kind === 'user' && (await deps.users.revokeApiToken(id, p.userId, new Date()));
        if (!revoked) throw new NotFoundError('API token', id);
        await deps.audit.record({
          actor: actorName(p),
          actorType: 'user',
          action: 'token.revoked',
          target: id,
          detail: {},
        });
        return c.json(shaped(RevokedApiToken, { revoked: id }));
      })
      .get('/users', async (c) =>
        c.json(shaped(UserList, { users: await Promise.all((await deps.users.list()).map(userJson)) })),
      )
      .post('/users', jsonBody(NewUser, 'user'), async (c) => {
        const body = c.req.valid('json');
        if (await deps.users.findByName(body.username))
          throw new ConflictError(`username '${body.username}' is taken`, 'username-taken');
        const u = await deps.users.create({
          id: randomId('usr'),
          username: body.username,
          passwordHash: await hashSecret(body.password),
        });
        await deps.roles.setUserRole(u.id, body.role, new Date());
        await audited(c, 'user.created', u.id, { username: u.username, role: body.role });
        return c.json(shaped(User, await userJson(u)), 201);
      })
      .patch('/users/:id', jsonBody(PatchUser, 'user change'), async (c) => {
        const id = c.req.param('id');
        const body = c.req.valid('json');
        const u = await deps.users.get(id);
        if (!u) throw new NotFoundError('user', id);
        const before = await userJson(u);
        if (body.role && body.role !== 'admin' && before.role === 'admin') await guardAdmins(c, id, 'demote');
        if (body.disabled === true && !before.disabled) await guardAdmins(c, id, 'disable');
        if (body.role && body.role !== before.role) {
          await deps.roles.setUserRole(id, body.role, new Date());
          await audited(c, 'user.role-changed', id, { username: u.username, from: before.role, to: body.role });
        }
        if (body.disabled !== undefined && body.disabled !== before.disabled) {
          await deps.users.setDisabled(id, body.disabled ? new Date() : null);
          if (body.disabled) await deps.sessions.revokeUser(id);
          await audited(c, body.disabled ? 'user.disabled' : 'user.enabled', id, { username: u.username });
        }
        if (body.password) {
          await deps.users.setPassword(id, await hashSecret(body.password));
          await audited(c, 'user.password-set', id, { username: u.username });
        }
        return c.json(shaped(User, await userJson((await deps.users.get(id))!)));
      })
      .delete('/users/:id', async (c) => {
        const id = c.req.param('id');
        const u = await deps.users.get(id);
        if (!u) throw new NotFoundError('user', id);
        await guardAdmins(c, id, 'delete');
        // Sessions first: from here on neither a cookie nor a token of this user authenticates.
        await deps.sessions.revokeUser(id);
        await deps.users.delete(id);
        await audited(c, 'user.deleted', id, { username: u.username });
        return c.json(shaped(Deleted, { deleted: id }));
      })
      .post('/users/:id/tokens', jsonBody(NewToken, 'API token'), async (c) => {
        const id = c.req.param('id');
        const body = c.req.valid('json');
        if (!(await deps.users.get(id))) throw new NotFoundError('user', id);
        const tokenId = randomId('tok');
        const secret = randomSecret();
        await deps.users.createApiToken({
          id: tokenId,
          userId: id,
          name: body.name,
          tokenHash: hashRandomSecret(secret),
        });
        await deps.roles.setTokenRole(tokenId, body.role);
        await deps.audit.record({
          actor: actorName(c.get('access')),
          actorType: 'user',
          action: 'token.created',
          target: tokenId,
          detail: { userId: id, role: body.role },
        });
        return c.json(
          shaped(CreatedApiToken, {
            id: tokenId,
            name: body.name,
            role: body.role,
            token: formatBearer('hat', tokenId, secret),
          }),
          201,
        );
      })
      .get('/audit', queryOf(AuditQ), async (c) => {
        const { q: text, ...q } = c.req.valid('query');
        return c.json(shaped(AuditList, { entries: await deps.audit.query({ ...q, ...(text ? { text } : {}) }) }));
      })
      .get('/audit/export', queryOf(AuditQ), async (c) => {
        const { q: text, ...q } = c.req.valid('query');
        const entries = await deps.audit.query({ ...q, ...(text ? { text } : {}), limit: q.limit ?? 100_000 });
        await deps.audit.record({
          actor: actorName(c.get('access')),
          actorType: 'user',
          action: 'audit.exported',
          target: null,
          detail: { format: q.format, entries: entries.length },
        });
        return q.format === 'csv'
          ? c.body(auditToCsv(entries), 200, {
              'content-type': 'text/csv; charset=utf-8',
              'content-disposition': 'attachment; filename="audit.csv"',
            })
          : c.body(auditToJsonLines(entries), 200, {
              'content-type': 'application/x-ndjson; charset=utf-8',
              'content-disposition': 'attachment; filename="audit.jsonl"',
            });
      })
  );
}
