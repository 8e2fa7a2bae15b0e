/** Prisma AuditRepository (SQLite and PostgreSQL). */
import { z } from 'zod';
import type { Db } from '../../db/database.ts';
import {
  auditSearchText,
  likeSafeFragments,
  matchesTerms,
  searchTerms,
  type AuditEntry,
  type AuditRepository,
} from '../audit-repository.ts';
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
          text: auditSearchText(e),
        },
      });
    },
    async query(q) {
      const limit = Math.min(q.limit ?? 1000, 100_000);
      const terms = searchTerms(q.text);
      const where = {
        at: {
          ...(q.since !== undefined ? { gte: new Date(q.since) } : {}),
          ...(q.until !== undefined ? { lt: new Date(q.until) } : {}),
        },
        ...(q.actor ? { actor: q.actor } : {}),
        ...(q.action ? { action: { startsWith: q.action } } : {}),
        ...(q.target ? { target: q.target } : {}),
        // LIKE-safe pieces narrow the scan in the database; matchesTerms decides exactly below
        ...(terms.length ? { AND: likeSafeFragments(terms).map((f) => ({ text: { contains: f } })) } : {}),
      };
      const dir = q.order ?? 'asc';
      const beyond = dir === 'asc' ? 'gt' : 'lt';
      const page = (after: { at: Date; id: string } | null) =>
        db.auditEntry.findMany({
          where: after
            ? { AND: [where, { OR: [{ at: { [beyond]: after.at } }, { at: after.at, id: { [beyond]: after.id } }] }] }
            : where,
          orderBy: [{ at: dir }, { id: dir }],
          take: limit,
        });
      const out: AuditEntry[] = [];
      // Pages until `limit` exact matches: a term with a wildcard character can let the database return extra rows.
      for (let rows = await page(null); ; ) {
        for (const r of rows) {
          if (terms.length && !matchesTerms(r.text, terms)) continue;
          out.push({
            id: r.id,
            at: r.at.getTime(),
            actor: r.actor,
            actorType: parseStored(ActorType, r.actorType, `audit entry '${r.id}' actorType`),
            action: r.action,
            target: r.target,
            detail: parseStored(Detail, r.detail, `audit entry '${r.id}' detail`),
          });
          if (out.length === limit) return out;
        }
        const last = rows.at(-1);
        if (rows.length < limit || !last || !terms.length) return out;
        rows = await page({ at: last.at, id: last.id });
      }
    },
  };
}
