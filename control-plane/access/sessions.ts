/**
 * Web UI sessions: password login → random session value in an HTTP-only, SameSite=Strict cookie; only its sha256 is
 * stored. Sessions expire after `ttlMs` (default 12 h) of inactivity (sliding, refreshed at most once a minute) and
 * never outlive `maxAgeMs` (default 7 d) from login.
 */
import { createHash, randomBytes } from 'node:crypto';
import { UnauthenticatedError } from '../../contract/errors.ts';
import { verifySecret } from '../keys/secrets.ts';
import type { UserRepository } from '../store/ports.ts';
import type { SessionRepository } from '../repositories/session-repository.ts';

/** Cookie name of the session. */
export const SESSION_COOKIE = 'homeostat_session';

/** A logged-in session. */
export interface SessionInfo {
  userId: string;
  username: string;
  expiresAt: Date;
}

/** Session service. */
export interface Sessions {
  login(username: string, password: string): Promise<{ value: string; session: SessionInfo }>;
  lookup(value: string): Promise<SessionInfo | null>;
  logout(value: string): Promise<void>;
  /** Ends every session of a user (disabled accounts); returns how many. */
  revokeUser(userId: string): Promise<number>;
}

const digest = (v: string) => createHash('sha256').update(v).digest('hex');

/** Creates the session service over the session and user repositories. */
export function createSessions(opts: {
  repo: SessionRepository;
  users: UserRepository;
  now?: () => number;
  ttlMs?: number;
  maxAgeMs?: number;
}): Sessions {
  const now = opts.now ?? Date.now;
  const ttl = opts.ttlMs ?? 12 * 3_600_000;
  const maxAge = opts.maxAgeMs ?? 7 * 86_400_000;
  return {
    async login(username, password) {
      const user = await opts.users.findByName(username);
      // Same message for unknown user and bad password: no account enumeration.
      if (!user || user.disabledAt || !(await verifySecret(password, user.passwordHash)))
        throw new UnauthenticatedError('login: username or password is wrong');
      const value = randomBytes(32).toString('base64url');
      const t = now();
      const expiresAt = new Date(t + ttl);
      await opts.repo.create({
        id: digest(value),
        userId: user.id,
        createdAt: new Date(t),
        expiresAt,
        lastSeenAt: new Date(t),
      });
      return { value, session: { userId: user.id, username: user.username, expiresAt } };
    },
    async lookup(value) {
      const row = await opts.repo.get(digest(value));
      const t = now();
      if (!row) return null;
      if (row.expiresAt.getTime() <= t || row.createdAt.getTime() + maxAge <= t) {
        await opts.repo.delete(row.id);
        return null;
      }
      const user = await opts.users.get(row.userId);
      if (!user || user.disabledAt) return null;
      let expiresAt = row.expiresAt;
      if (t - row.lastSeenAt.getTime() > 60_000) {
        expiresAt = new Date(Math.min(t + ttl, row.createdAt.getTime() + maxAge));
        await opts.repo.touch(row.id, new Date(t), expiresAt);
      }
      return { userId: user.id, username: user.username, expiresAt };
    },
    async logout(value) {
      await opts.repo.delete(digest(value));
    },
    revokeUser: (userId) => opts.repo.deleteForUser(userId),
  };
}
