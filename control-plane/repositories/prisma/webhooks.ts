/** Prisma WebhookRepository (SQLite and PostgreSQL). */
import { z } from 'zod';
import type { Db } from '../../db/database.ts';
import { WEBHOOK_EVENTS, type WebhookRecord, type WebhookRepository } from '../webhook-repository.ts';
import { parseStored } from '../stored-json.ts';

type Row = Awaited<ReturnType<Db['webhook']['findUniqueOrThrow']>>;

const Events = z.array(z.enum(WEBHOOK_EVENTS));

function toRecord(r: Row): WebhookRecord {
  return {
    id: r.id,
    name: r.name,
    url: r.url,
    events: parseStored(Events, r.events, `webhook '${r.id}' events`),
    enabled: r.enabled,
    secret: r.secret,
    createdBy: r.createdBy,
    createdAt: r.createdAt,
  };
}

/** Builds the repository over a client. */
export function prismaWebhookRepository(db: Db): WebhookRepository {
  return {
    async create(w) {
      return toRecord(
        await db.webhook.create({
          data: {
            id: w.id,
            name: w.name,
            url: w.url,
            events: w.events,
            enabled: w.enabled ?? true,
            secret: w.secret,
            createdBy: w.createdBy,
            ...(w.createdAt ? { createdAt: w.createdAt } : {}),
          },
        }),
      );
    },
    async get(id) {
      const r = await db.webhook.findUnique({ where: { id } });
      return r ? toRecord(r) : null;
    },
    async list(f = {}) {
      const rows = await db.webhook.findMany({
        where: f.enabledOnly ? { enabled: true } : {},
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      });
      return rows.map(toRecord);
    },
    async setSecret(id, secret) {
      return (await db.webhook.updateMany({ where: { id }, data: { secret } })).count > 0;
    },
    async delete(id) {
      return (await db.webhook.deleteMany({ where: { id } })).count > 0;
    },
  };
}
