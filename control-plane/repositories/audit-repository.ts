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

/**
 * Query filters; `action` matches as a prefix; since <= at < until. `text` is a free-text search: every
 * whitespace-separated term must occur, case-insensitively, in the actor, action, target or detail.
 */
export interface AuditQuery {
  since?: number;
  until?: number;
  actor?: string;
  action?: string;
  target?: string;
  text?: string;
  limit?: number;
  /** `asc` (default): oldest first, as exports read; `desc`: newest first, as the audit page shows. */
  order?: 'asc' | 'desc';
}

/** What the free-text search matches for one entry, stored beside it: lower-cased fields, one per line. */
export function auditSearchText(e: Pick<AuditEntry, 'actor' | 'action' | 'target' | 'detail'>): string {
  return [e.actor, e.action, e.target ?? '', JSON.stringify(e.detail)].join('\n').toLowerCase();
}

/** The terms of a free-text search (lower-cased, at most 8: more narrow nothing a person would type). */
export function searchTerms(text: string | undefined): string[] {
  return [...new Set((text ?? '').toLowerCase().split(/\s+/).filter(Boolean))].slice(0, 8);
}

/**
 * Pieces of `terms` free of SQL LIKE's wildcards and escape (`%`, `_`, `\`): a database's substring filter on them
 * finds a superset of the matches whatever its LIKE escape rules, and {@link matchesTerms} then decides exactly.
 */
export function likeSafeFragments(terms: readonly string[]): string[] {
  return [...new Set(terms.flatMap((t) => t.split(/[%_\\]+/)).filter(Boolean))];
}

/** Whether a stored search text holds every term. */
export function matchesTerms(text: string, terms: readonly string[]): boolean {
  return terms.every((t) => text.includes(t));
}

export interface AuditRepository {
  append(e: AuditEntry): Promise<void>;
  /** Oldest first (at, then id; newest first with `order: 'desc'`), at most `limit` (default 1000, capped at 100 000). */
  query(q: AuditQuery): Promise<AuditEntry[]>;
}
