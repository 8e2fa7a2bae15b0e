/**
 * The Prisma implementation of the core repositories, for SQLite and PostgreSQL alike (same generated model API).
 * seq and ts are BigInt columns (agents may use millisecond-based seqs); they are numbers at this boundary.
 */
import { z } from 'zod';
import { ConflictError, NotFoundError } from '../../contract/errors.ts';
import { openDatabase, resolveDatabaseTarget, type Database, type DatabaseTarget, type Db } from '../db/database.ts';
import type {
  ApiTokenRecord,
  EnrollmentTokenRecord,
  EnrollmentTokenRepository,
  HostRecord,
  HostRepository,
  NewHost,
  Store,
  UserRecord,
  UserRepository,
} from './ports.ts';
import { createPrismaFleetRepositories } from '../repositories/prisma/index.ts';
import { telemetryRepository } from '../repositories/prisma/telemetry.ts';
import { parseStored } from '../repositories/stored-json.ts';
import { cordonOf, hostCordonMethods } from '../repositories/prisma/host-cordon.ts';

type HostRow = Awaited<ReturnType<Db['host']['findUniqueOrThrow']>>;
type TokenRow = Awaited<ReturnType<Db['enrollmentToken']['findUniqueOrThrow']>>;

// Host JSON columns: labels (from enrollment), inventory (InventoryMessage), applied models and errors (StateMessage).
const LabelsSchema = z.record(z.string(), z.string());
const InventorySchema = z.record(z.string(), z.unknown()).nullable();
const AppliedModelsSchema = z.record(z.string(), z.string()).nullable();
const StateErrorsSchema = z.array(z.string()).nullable();

function toHost(r: HostRow): HostRecord {
  const what = `host '${r.id}'`;
  return {
    id: r.id,
    hostname: r.hostname,
    labels: parseStored(LabelsSchema, r.labels, `${what} labels`),
    inventory: parseStored(InventorySchema, r.inventory ?? null, `${what} inventory`),
    inventoryHash: r.inventoryHash,
    agentVersion: r.agentVersion,
    previousAgentVersion: r.previousAgentVersion,
    agentPlatform: r.agentPlatform,
    online: r.online,
    lastSeen: r.lastSeen,
    revokedAt: r.revokedAt,
    cordon: cordonOf(r),
    appliedPolicyVersion: r.appliedPolicyVersion,
    appliedModels: parseStored(AppliedModelsSchema, r.appliedModels ?? null, `${what} appliedModels`),
    stateErrors: parseStored(StateErrorsSchema, r.stateErrors ?? null, `${what} stateErrors`),
    enrolledAt: r.enrolledAt,
    enrollmentTokenId: r.enrollmentTokenId,
  };
}

function toToken(r: TokenRow): EnrollmentTokenRecord {
  const labels = parseStored(LabelsSchema, r.labels, `enrollment token '${r.id}' labels`);
  return {
    id: r.id,
    labels,
    maxUses: r.maxUses,
    usesLeft: r.usesLeft,
    expiresAt: r.expiresAt,
    revokedAt: r.revokedAt,
    createdAt: r.createdAt,
    createdBy: r.createdBy,
  };
}

function isNotFound(err: unknown): boolean {
  return (err as { code?: string }).code === 'P2025';
}

function hostRepository(db: Db): HostRepository {
  const update = async (id: string, data: Parameters<Db['host']['updateMany']>[0]['data']) =>
    (await db.host.updateMany({ where: { id }, data })).count > 0;
  const get = async (id: string) => {
    const r = await db.host.findUnique({ where: { id } });
    return r ? toHost(r) : null;
  };
  return {
    get,
    ...hostCordonMethods(db, get),
    async list() {
      return (await db.host.findMany({ orderBy: { enrolledAt: 'asc' } })).map(toHost);
    },
    async credential(id) {
      const r = await db.agentCredential.findUnique({
        where: { hostId: id },
        include: { host: { select: { revokedAt: true } } },
      });
      return r
        ? { secretHash: r.secretHash, pendingSecretHash: r.pendingSecretHash, revokedAt: r.host.revokedAt }
        : null;
    },
    async replaceSecretHash(id, from, to) {
      return (
        (await db.agentCredential.updateMany({ where: { hostId: id, secretHash: from }, data: { secretHash: to } }))
          .count === 1
      );
    },
    async setPendingSecretHash(id, hash, expected) {
      const where = expected === undefined ? { hostId: id } : { hostId: id, pendingSecretHash: expected };
      return (await db.agentCredential.updateMany({ where, data: { pendingSecretHash: hash } })).count === 1;
    },
    async promotePendingSecret(id, pending) {
      const r = await db.agentCredential.updateMany({
        where: { hostId: id, pendingSecretHash: pending },
        data: { secretHash: pending, pendingSecretHash: null },
      });
      return r.count === 1;
    },
    async queueRotation(id, at) {
      const r = await db.agentCredential.findUnique({ where: { hostId: id }, select: { rotationQueuedAt: true } });
      if (!r) return false;
      if (!r.rotationQueuedAt)
        await db.agentCredential.updateMany({
          where: { hostId: id, rotationQueuedAt: null },
          data: { rotationQueuedAt: at },
        });
      return true;
    },
    async takeQueuedRotation(id) {
      const r = await db.agentCredential.updateMany({
        where: { hostId: id, rotationQueuedAt: { not: null } },
        data: { rotationQueuedAt: null },
      });
      return r.count === 1;
    },
    async revoke(id, at) {
      const r = await db.host.findUnique({ where: { id } });
      if (!r) throw new NotFoundError('host', id);
      if (r.revokedAt) return toHost(r);
      return toHost(await db.host.update({ where: { id }, data: { revokedAt: at, online: false } }));
    },
    async setLabels(id, labels) {
      if (!(await update(id, { labels: { ...labels } }))) throw new NotFoundError('host', id);
      return toHost((await db.host.findUnique({ where: { id } }))!);
    },
    setPresence: (id, online, at, agent) =>
      update(id, {
        online,
        lastSeen: at,
        ...(agent ? { agentVersion: agent.version } : {}),
        ...(agent?.previous !== undefined ? { previousAgentVersion: agent.previous } : {}),
        ...(agent?.platform ? { agentPlatform: agent.platform } : {}),
      }),
    async setPresenceMany(ids, online, at) {
      let n = 0;
      // Bounded IN lists (SQLite's host-parameter limit); one statement per 500 hosts instead of one per host.
      for (let i = 0; i < ids.length; i += 500)
        n += (
          await db.host.updateMany({ where: { id: { in: ids.slice(i, i + 500) } }, data: { online, lastSeen: at } })
        ).count;
      return n;
    },
    setInventory: (id, inventory, hash, at) =>
      update(id, { inventory: inventory as object, inventoryHash: hash, lastSeen: at }),
    setState: (id, s, at) =>
      update(id, {
        appliedPolicyVersion: s.policyVersion,
        appliedModels: s.models,
        stateErrors: s.errors,
        lastSeen: at,
      }),
    async markAllOffline() {
      return (await db.host.updateMany({ where: { online: true }, data: { online: false } })).count;
    },
    async counts() {
      const [enrolled, online] = await Promise.all([
        db.host.count({ where: { revokedAt: null } }),
        db.host.count({ where: { online: true, revokedAt: null } }),
      ]);
      return { enrolled, online };
    },
  };
}

function tokenRepository(db: Db): EnrollmentTokenRepository {
  return {
    async create(t) {
      return toToken(
        await db.enrollmentToken.create({
          data: {
            id: t.id,
            tokenHash: t.tokenHash,
            labels: t.labels,
            maxUses: t.maxUses,
            usesLeft: t.maxUses,
            expiresAt: t.expiresAt,
            createdBy: t.createdBy,
          },
        }),
      );
    },
    async list() {
      return (await db.enrollmentToken.findMany({ orderBy: { createdAt: 'asc' } })).map(toToken);
    },
    async find(id) {
      const r = await db.enrollmentToken.findUnique({ where: { id } });
      return r ? { token: toToken(r), tokenHash: r.tokenHash } : null;
    },
    async revoke(id, at) {
      const r = await db.enrollmentToken.findUnique({ where: { id } });
      if (!r) throw new NotFoundError('enrollment token', id);
      if (r.revokedAt) return toToken(r);
      return toToken(await db.enrollmentToken.update({ where: { id }, data: { revokedAt: at } }));
    },
    async redeem(tokenId, now, host: NewHost, secretHash) {
      return db.$transaction(async (tx) => {
        // Conditional decrement: concurrent enrollments can never overdraw usesLeft.
        const used = await tx.enrollmentToken.updateMany({
          where: { id: tokenId, revokedAt: null, usesLeft: { gt: 0 }, expiresAt: { gt: now } },
          data: { usesLeft: { decrement: 1 } },
        });
        if (used.count === 0) {
          const t = await tx.enrollmentToken.findUnique({ where: { id: tokenId } });
          if (!t) throw new NotFoundError('enrollment token', tokenId);
          if (t.revokedAt)
            throw new ConflictError(
              `enrollment token '${tokenId}' was revoked at ${t.revokedAt.toISOString()}`,
              'token-revoked',
            );
          if (t.expiresAt <= now)
            throw new ConflictError(
              `enrollment token '${tokenId}' expired at ${t.expiresAt.toISOString()}`,
              'token-expired',
            );
          throw new ConflictError(`enrollment token '${tokenId}' is used up (${t.maxUses} uses)`, 'token-used-up');
        }
        const r = await tx.host.create({
          data: {
            id: host.id,
            hostname: host.hostname,
            labels: host.labels,
            agentVersion: host.agentVersion,
            enrollmentTokenId: tokenId,
            ...(host.inventory ? { inventory: host.inventory as object } : {}),
            credential: { create: { secretHash } },
          },
        });
        return toHost(r);
      });
    },
  };
}

function userRepository(db: Db): UserRepository {
  const toUser = (r: UserRecord): UserRecord => ({
    id: r.id,
    username: r.username,
    passwordHash: r.passwordHash,
    createdAt: r.createdAt,
    disabledAt: r.disabledAt,
  });
  const toApi = (r: ApiTokenRecord): ApiTokenRecord => ({
    id: r.id,
    userId: r.userId,
    name: r.name,
    tokenHash: r.tokenHash,
    createdAt: r.createdAt,
    lastUsedAt: r.lastUsedAt,
    revokedAt: r.revokedAt,
  });
  return {
    count: () => db.user.count(),
    async create(u) {
      return toUser(await db.user.create({ data: u }));
    },
    async findByName(username) {
      const r = await db.user.findUnique({ where: { username } });
      return r ? toUser(r) : null;
    },
    async get(id) {
      const r = await db.user.findUnique({ where: { id } });
      return r ? toUser(r) : null;
    },
    async createApiToken(t) {
      return toApi(await db.apiToken.create({ data: t }));
    },
    async findApiToken(id) {
      const r = await db.apiToken.findUnique({ where: { id } });
      return r ? toApi(r) : null;
    },
    async list() {
      return (await db.user.findMany({ orderBy: { username: 'asc' } })).map(toUser);
    },
    async setDisabled(id, at) {
      return (await db.user.updateMany({ where: { id }, data: { disabledAt: at } })).count > 0;
    },
    async setPassword(id, passwordHash) {
      return (await db.user.updateMany({ where: { id }, data: { passwordHash } })).count > 0;
    },
    async delete(id) {
      // Tokens first and explicitly: the cascade is not relied on (SQLite foreign keys may be off on a connection).
      const [, users] = await db.$transaction([
        db.apiToken.deleteMany({ where: { userId: id } }),
        db.user.deleteMany({ where: { id } }),
      ]);
      return users.count > 0;
    },
    async listApiTokens(userId) {
      return (await db.apiToken.findMany({ where: { userId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] })).map(
        toApi,
      );
    },
    async revokeApiToken(id, userId, at) {
      return (
        (await db.apiToken.updateMany({ where: { id, userId, revokedAt: null }, data: { revokedAt: at } })).count === 1
      );
    },
    async touchApiToken(id, at) {
      await db.apiToken.updateMany({ where: { id }, data: { lastUsedAt: at } });
    },
  };
}

/** Builds the store over an open database (the caller keeps ownership of nothing: close() closes the database). */
export function createPrismaStore(database: Database): Store & { readonly db: Db } {
  const { db } = database;
  return {
    provider: database.provider,
    db,
    hosts: hostRepository(db),
    tokens: tokenRepository(db),
    telemetry: telemetryRepository(db, database.provider, database.execute),
    users: userRepository(db),
    ...createPrismaFleetRepositories(db),
    close: () => database.close(),
  };
}

/** Opens (and migrates) the database and returns the store. */
export async function openStore(target: DatabaseTarget): Promise<Store & { readonly db: Db }> {
  return createPrismaStore(await openDatabase(target));
}

/** Opens the store a command line names: `databaseUrl` (postgres://… or file:…) if given, else the data dir's SQLite. */
export function openStoreAt(databaseUrl: string | undefined, dataDir: string): Promise<Store & { readonly db: Db }> {
  return openStore(resolveDatabaseTarget(databaseUrl, dataDir));
}

export { isNotFound };
