/** Prisma IncidentRepository (SQLite and PostgreSQL). */
import type { Db } from '../../db/database.ts';
import { IncidentSchema, type IncidentRepository } from '../incident-repository.ts';
import { parseStored } from '../stored-json.ts';

const toIncident = (r: { id: string; data: unknown }) => parseStored(IncidentSchema, r.data, `incident '${r.id}'`);

/** Builds the repository over a client. */
export function prismaIncidentRepository(db: Db): IncidentRepository {
  return {
    async upsert(i) {
      const columns = {
        status: i.status,
        scope: i.scope,
        key: i.key,
        value: i.value,
        severity: i.severity,
        title: i.title,
        data: i as object,
        openedAt: new Date(i.openedAt),
        updatedAt: new Date(i.updatedAt),
        resolvedAt: i.resolvedAt === null ? null : new Date(i.resolvedAt),
      };
      await db.incident.upsert({ where: { id: i.id }, create: { id: i.id, ...columns }, update: columns });
    },
    async get(id) {
      const r = await db.incident.findUnique({ where: { id }, select: { id: true, data: true } });
      return r ? toIncident(r) : null;
    },
    async list(f = {}) {
      const rows = await db.incident.findMany({
        where: f.status ? { status: f.status } : {},
        select: { id: true, data: true },
        orderBy: [{ openedAt: 'desc' }, { id: 'asc' }],
        ...(f.limit !== undefined ? { take: f.limit } : {}),
      });
      return rows.map(toIncident);
    },
    summaries: (f) =>
      db.incident.findMany({
        where: { ...(f.status ? { status: f.status } : {}), ...(f.ids ? { id: { in: f.ids } } : {}) },
        select: { id: true, status: true, title: true, updatedAt: true },
        orderBy: { id: 'asc' },
      }),
    count: (status) => db.incident.count({ where: { status } }),
  };
}
