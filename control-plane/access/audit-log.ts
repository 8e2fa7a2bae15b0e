/**
 * The audit trail: every automated (system, breaker, rollout, agent) and human action, append-only, queryable by
 * time, actor, action prefix and target, exportable as CSV or JSON lines.
 */
import { randomBytes } from 'node:crypto';
import type { AuditEntry, AuditQuery, AuditRepository } from '../repositories/audit-repository.ts';

export type { AuditEntry, AuditQuery };

/** The audit log service. */
export interface AuditLog {
  record(e: Omit<AuditEntry, 'id' | 'at'> & { at?: number }): Promise<AuditEntry>;
  query(q: AuditQuery): Promise<AuditEntry[]>;
}

/** Creates the audit log over its repository. Ids sort by time, then insertion (`<ms hex>-<counter>-<random>`). */
export function createAuditLog(opts: { repo: AuditRepository; now?: () => number }): AuditLog {
  const now = opts.now ?? Date.now;
  let seq = 0;
  return {
    async record(e) {
      const at = e.at ?? now();
      // Same-millisecond entries (fake clocks, bursts) keep their insertion order through the counter.
      const id = `${at.toString(16).padStart(12, '0')}-${(seq++ % 0xffffffff).toString(16).padStart(8, '0')}-${randomBytes(3).toString('hex')}`;
      const entry: AuditEntry = {
        id,
        at,
        actor: e.actor,
        actorType: e.actorType,
        action: e.action,
        target: e.target ?? null,
        detail: e.detail,
      };
      await opts.repo.append(entry);
      return entry;
    },
    query: (q) => opts.repo.query(q),
  };
}

const CSV_COLUMNS = ['id', 'time', 'actor', 'actorType', 'action', 'target', 'detail'] as const;

/** RFC 4180 CSV with a header row; `detail` as compact JSON, time as ISO 8601. */
export function auditToCsv(entries: readonly AuditEntry[]): string {
  const cell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const rows = entries.map((e) =>
    [e.id, new Date(e.at).toISOString(), e.actor, e.actorType, e.action, e.target ?? '', JSON.stringify(e.detail)]
      .map(cell)
      .join(','),
  );
  return [CSV_COLUMNS.join(','), ...rows].join('\r\n') + '\r\n';
}

/** One JSON object per line. */
export function auditToJsonLines(entries: readonly AuditEntry[]): string {
  return (
    entries.map((e) => JSON.stringify({ ...e, time: new Date(e.at).toISOString() })).join('\n') +
    (entries.length ? '\n' : '')
  );
}
