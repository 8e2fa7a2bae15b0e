/** The append-only audit trail. */

/** One audit entry. */
export interface AuditEntry {
  id: string;
  at: number;
  actor: string;
  actorType: 'user' | 'agent' | 'system' | 'anonymous';
  action: string;
  target: string | null;
  detail: Record<string, unknown>;
}

/** Query filters; `action` matches as a prefix; since <= at < until. */
export interface AuditQuery {
  since?: number;
  until?: number;
  actor?: string;
  action?: string;
  target?: string;
  limit?: number;
}

export interface AuditRepository {
  append(e: AuditEntry): Promise<void>;
  /** Oldest first (at, then id), at most `limit` (default 1000, capped at 100 000). */
  query(q: AuditQuery): Promise<AuditEntry[]>;
}
