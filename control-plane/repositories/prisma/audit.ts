/** Prisma AuditRepository (SQLite and PostgreSQL). */
import { z } from 'zod';
import type { Db } from '../../db/database.ts';
import type { AuditRepository } from '../audit-repository.ts';
import { parseStored } from '../stored-json.ts';

const ActorType = z.enum(['user', 'agent', 'system', 'anonymous']);
const Detail = z.record(z.string(), z.unknown());

/** Builds the repository over a client. */
export function prismaAuditRepository(db: Db): AuditRepository {
  return {
    async append(e) {
      await db.auditEntry.create({
        data: {
          id: e.id,
          at: new Date(e.at),
          actor: e.actor,
          actorType: e.actorType,
          action: e.action,
          target: e.target,
          detail: e.detail as object,
        },
      });
    },
    async query(q) {
      const rows = await db.auditEntry.findMany({
        where: {
          at: {
            ...(q.since !== undefined ? { gte: new Date(q.since) } : {}),
            ...(q.until !== undefined ? { lt: new Date(q.until) } : {}),
          },
          ...(q.actor ? { actor: q.actor } : {}),
          ...(q.action ? { action: { startsWith: q.action } } : {}),
          ...(q.target ? { target: q.target } : {}),
        },
        orderBy: [{ at: 'asc' }, { id: 'asc' }],
        take: Math.min(q.limit ?? 1000, 100_000),
      });
      return rows.map((r) => ({
        id: r.id,
        at: r.at.getTime(),
        actor: r.actor,
        actorType: parseStored(ActorType, r.actorType, `audit entry '${r.id}' actorType`),
        action: r.action,
        target: r.target,
        detail: parseStored(Detail, r.detail, `audit entry '${r.id}' detail`),
      }));
    },
  };
}
