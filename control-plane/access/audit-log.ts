/**
 * The audit trail: every automated (system, breaker, rollout, agent) and human action, append-only, queryable by
 * time, actor, action prefix and target, exportable as CSV or JSON lines.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../db/database.ts';

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

/** Query filters; `action` matches as a prefix. */
export interface AuditQuery { since?: number; until?: number; actor?: string; action?: string; target?: string; limit?: number }

/** The audit log service. */
export interface AuditLog {
  record(e: Omit<AuditEntry, 'id' | 'at'> & { at?: number }): Promise<AuditEntry>;
  query(q: AuditQuery): Promise<AuditEntry[]>;
}

/** Creates the Prisma-backed audit log. Ids sort by time, then insertion (`<ms hex>-<counter>-<random>`). */
export function createAuditLog(opts: { db: Db; now?: () => number }): AuditLog {
  const now = opts.now ?? Date.now;
  let seq = 0;
  return {
    async record(e) {
      const at = e.at ?? now();
      // Same-millisecond entries (fake clocks, bursts) keep their insertion order through the counter.
      const id = `${at.toString(16).padStart(12, '0')}-${(seq++ % 0xffffffff).toString(16).padStart(8, '0')}-${randomBytes(3).toString('hex')}`;
      const entry: AuditEntry = { id, at, actor: e.actor, actorType: e.actorType, action: e.action, target: e.target ?? null, detail: e.detail };
      await opts.db.auditEntry.create({ data: { id, at: new Date(at), actor: e.actor, actorType: e.actorType, action: e.action, target: entry.target, detail: e.detail as object } });
      return entry;
    },
    async query(q) {
      const rows = await opts.db.auditEntry.findMany({
        where: {
          at: { ...(q.since !== undefined ? { gte: new Date(q.since) } : {}), ...(q.until !== undefined ? { lt: new Date(q.until) } : {}) },
          ...(q.actor ? { actor: q.actor } : {}),
          ...(q.action ? { action: { startsWith: q.action } } : {}),
          ...(q.target ? { target: q.target } : {}),
        },
        orderBy: [{ at: 'asc' }, { id: 'asc' }],
        take: Math.min(q.limit ?? 1000, 100_000),
      });
      return rows.map((r) => ({ id: r.id, at: r.at.getTime(), actor: r.actor, actorType: r.actorType as AuditEntry['actorType'], action: r.action, target: r.target, detail: r.detail as Record<string, unknown> }));
    },
  };
}

const CSV_COLUMNS = ['id', 'time', 'actor', 'actorType', 'action', 'target', 'detail'] as const;

/** RFC 4180 CSV with a header row; `detail` as compact JSON, time as ISO 8601. */
export function auditToCsv(entries: readonly AuditEntry[]): string {
  const cell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const rows = entries.map((e) => [e.id, new Date(e.at).toISOString(), e.actor, e.actorType, e.action, e.target ?? '', JSON.stringify(e.detail)].map(cell).join(','));
  return [CSV_COLUMNS.join(','), ...rows].join('\r\n') + '\r\n';
}

/** One JSON object per line. */
export function auditToJsonLines(entries: readonly AuditEntry[]): string {
  return entries.map((e) => JSON.stringify({ ...e, time: new Date(e.at).toISOString() })).join('\n') + (entries.length ? '\n' : '');
}
