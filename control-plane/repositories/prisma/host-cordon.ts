/**
 * The Prisma side of host cordons (HostRepository `cordon`, `uncordon`, `cordonFromEvent`), SQLite and PostgreSQL
 * alike. Every change is a compare-and-set on `cordonedAt`, so concurrent callers (two admins, an admin and ingest on
 * another replica) agree on who cordoned first and on exactly one `changed: true`.
 */
import { z } from 'zod';
import { NotFoundError } from '../../../contract/errors.ts';
import type { Db } from '../../db/database.ts';
import { parseStored } from '../stored-json.ts';
import { CORDON_EVENT, type HostCordon, type HostRecord, type HostRepository } from '../../store/ports.ts';

const Source = z.enum(['user', 'agent']);

/** The cordon columns of a host row as a {@link HostCordon}, or null when not cordoned. */
export function cordonOf(r: {
  id: string;
  cordonedAt: Date | null;
  cordonedBy: string | null;
  cordonSource: string | null;
  cordonReason: string | null;
}): HostCordon | null {
  if (!r.cordonedAt) return null;
  return {
    at: r.cordonedAt,
    by: r.cordonedBy ?? '',
    source: parseStored(Source, r.cordonSource, `host '${r.id}' cordonSource`),
    reason: r.cordonReason ?? '',
  };
}

type CordonMethods = Pick<HostRepository, 'cordon' | 'uncordon' | 'cordonFromEvent'>;

/** The three methods over a client; `get` reads a host (the repository's own, so rows map the same way). */
export function hostCordonMethods(db: Db, get: (id: string) => Promise<HostRecord | null>): CordonMethods {
  const load = async (id: string) => {
    const h = await get(id);
    if (!h) throw new NotFoundError('host', id);
    return h;
  };
  const columns = (c: HostCordon) => ({
    cordonedAt: c.at,
    cordonedBy: c.by,
    cordonSource: c.source,
    cordonReason: c.reason,
  });
  return {
    async cordon(id, c) {
      const r = await db.host.updateMany({ where: { id, cordonedAt: null }, data: columns(c) });
      return { host: await load(id), changed: r.count === 1 };
    },
    async uncordon(id, at) {
      const r = await db.host.updateMany({
        where: { id, cordonedAt: { not: null } },
        data: { cordonedAt: null, cordonedBy: null, cordonSource: null, cordonReason: null, uncordonedAt: at },
      });
      return { host: await load(id), changed: r.count === 1 };
    },
    async cordonFromEvent(hostId, seq) {
      const e = await db.event.findUnique({
        where: { hostId_seq: { hostId, seq: BigInt(seq) } },
        select: { type: true, message: true, receivedAt: true },
      });
      if (!e || e.type !== CORDON_EVENT) return false;
      const r = await db.host.updateMany({
        where: {
          id: hostId,
          cordonedAt: null,
          OR: [{ uncordonedAt: null }, { uncordonedAt: { lt: e.receivedAt } }],
        },
        data: columns({ at: e.receivedAt, by: hostId, source: 'agent', reason: e.message ?? CORDON_EVENT }),
      });
      return r.count === 1;
    },
  };
}
