/** Prisma ApprovalRepository (SQLite and PostgreSQL). */
import { z } from 'zod';
import type { Db } from '../../db/database.ts';
import type { ApprovalRecord, ApprovalRepository } from '../approval-repository.ts';
import { parseStored } from '../stored-json.ts';

type Row = Awaited<ReturnType<Db['approval']['findUniqueOrThrow']>>;

const Source = z.enum(['policy', 'breaker']);
const Status = z.enum(['pending', 'approved', 'denied', 'expired']);

function toRecord(r: Row): ApprovalRecord {
  return {
    id: r.id,
    requestId: r.requestId,
    source: parseStored(Source, r.source, `approval '${r.id}' source`),
    hostId: r.hostId,
    groupKey: r.groupKey,
    groupValue: r.groupValue,
    action: r.action,
    reason: r.reason,
    policy: r.policy,
    condition: r.condition,
    status: parseStored(Status, r.status, `approval '${r.id}' status`),
    requestedAt: r.requestedAt,
    decidedBy: r.decidedBy,
    decidedAt: r.decidedAt,
    decisionReason: r.decisionReason,
  };
}

/** Builds the repository over a client. */
export function prismaApprovalRepository(db: Db): ApprovalRepository {
  return {
    async create(a) {
      return toRecord(await db.approval.create({ data: { ...a, status: 'pending' } }));
    },
    async get(id) {
      const r = await db.approval.findUnique({ where: { id } });
      return r ? toRecord(r) : null;
    },
    async findByRequest(requestId, hostId) {
      const r = await db.approval.findFirst({ where: { requestId, hostId }, orderBy: { requestedAt: 'asc' } });
      return r ? toRecord(r) : null;
    },
    async list(f = {}) {
      const rows = await db.approval.findMany({
        where: f.status ? { status: f.status } : {},
        orderBy: [{ requestedAt: 'desc' }, { id: 'asc' }],
        ...(f.limit !== undefined ? { take: f.limit } : {}),
      });
      return rows.map(toRecord);
    },
    async decide(id, d) {
      const r = await db.approval.updateMany({
        where: { id, status: 'pending' },
        data: {
          status: d.approved ? 'approved' : 'denied',
          decidedBy: d.by,
          decidedAt: d.at,
          decisionReason: d.reason,
        },
      });
      return r.count === 1;
    },
    async expire(id, d) {
      const r = await db.approval.updateMany({
        where: { id, status: 'pending' },
        data: { status: 'expired', decidedBy: d.by, decidedAt: d.at, decisionReason: d.reason },
      });
      return r.count === 1;
    },
    async pendingBefore(before) {
      const rows = await db.approval.findMany({
        where: { status: 'pending', requestedAt: { lt: before } },
        orderBy: [{ requestedAt: 'asc' }, { id: 'asc' }],
      });
      return rows.map(toRecord);
    },
    count: (status) => db.approval.count({ where: { status } }),
  };
}
