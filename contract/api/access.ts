/** Sessions, users, API tokens and the audit trail as the HTTP API returns them (`/api/session`, `/api/users`…). */
import { z } from 'zod';
import { EpochMs, IsoTime } from './common.ts';

/** Roles, strongest first: admin ⊃ operator ⊃ viewer. */
export const Role = z.enum(['admin', 'operator', 'viewer']);
export type Role = z.infer<typeof Role>;

/** `GET /api/session` (= `/api/auth/me`): the signed-in user, or the agent calling. */
export const Me = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('user'),
    username: z.string(),
    role: Role,
    via: z.enum(['session', 'token']),
    user: z.object({ username: z.string(), role: Role }),
  }),
  z.object({ kind: z.literal('agent'), agentId: z.string() }),
]);
export type Me = z.infer<typeof Me>;

/** `POST /api/session` (= `/api/auth/login`); the session itself is an HTTP-only cookie. */
export const LoggedIn = z.object({ username: z.string(), expiresAt: IsoTime });
export type LoggedIn = z.infer<typeof LoggedIn>;

/** `DELETE /api/session` (= `POST /api/auth/logout`). */
export const LoggedOut = z.object({ loggedOut: z.literal(true) });
export type LoggedOut = z.infer<typeof LoggedOut>;

/** A person with a role. */
export const User = z.object({
  id: z.string(),
  username: z.string(),
  createdAt: IsoTime,
  disabled: z.boolean(),
  role: Role,
});
export type User = z.infer<typeof User>;

/** `GET /api/users`. */
export const UserList = z.object({ users: z.array(User) });
export type UserList = z.infer<typeof UserList>;

/** One of the caller's API tokens (never its secret). */
export const ApiToken = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: IsoTime,
  lastUsedAt: IsoTime.nullable(),
  revokedAt: IsoTime.nullable(),
});
export type ApiToken = z.infer<typeof ApiToken>;

/** `GET /api/api-tokens`. */
export const ApiTokenList = z.object({ tokens: z.array(ApiToken) });
export type ApiTokenList = z.infer<typeof ApiTokenList>;

/** `POST /api/api-tokens`, `POST /api/users/:id/tokens`: the bearer token (`token`) is shown once. */
export const CreatedApiToken = z.object({ id: z.string(), name: z.string(), role: Role, token: z.string() });
export type CreatedApiToken = z.infer<typeof CreatedApiToken>;

/** `DELETE /api/api-tokens/:id`. */
export const RevokedApiToken = z.object({ revoked: z.string() });
export type RevokedApiToken = z.infer<typeof RevokedApiToken>;

/** One audit record. */
export const AuditEntry = z.object({
  id: z.string(),
  at: EpochMs,
  actor: z.string(),
  actorType: z.enum(['user', 'agent', 'system', 'anonymous']),
  action: z.string(),
  target: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

/** `GET /api/audit`. */
export const AuditList = z.object({ entries: z.array(AuditEntry) });
export type AuditList = z.infer<typeof AuditList>;
