/** Web UI login sessions; `id` is the sha256 of the cookie value (the value itself is never stored). */

export interface SessionRecord {
  id: string;
  userId: string;
  createdAt: Date;
  expiresAt: Date;
  lastSeenAt: Date;
}

export interface SessionRepository {
  create(s: SessionRecord): Promise<SessionRecord>;
  get(id: string): Promise<SessionRecord | null>;
  /** Slides the session; false when it is gone. */
  touch(id: string, lastSeenAt: Date, expiresAt: Date): Promise<boolean>;
  /** Idempotent. */
  delete(id: string): Promise<void>;
  /** Every session of a user (disabling logs out everywhere); returns how many. */
  deleteForUser(userId: string): Promise<number>;
}
