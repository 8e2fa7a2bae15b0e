/** Prisma SessionRepository and RoleRepository (SQLite and PostgreSQL). */
import type { Db } from '../../db/database.ts';
import type { RoleRepository } from '../role-repository.ts';
import type { SessionRepository } from '../session-repository.ts';

/** Builds the session repository over a client. */
export function prismaSessionRepository(db: Db): SessionRepository {
  return {
    create: (s) => db.session.create({ data: s }),
    get: (id) => db.session.findUnique({ where: { id } }),
    async touch(id, lastSeenAt, expiresAt) {
      return (await db.session.updateMany({ where: { id }, data: { lastSeenAt, expiresAt } })).count > 0;
    },
    async delete(id) {
      await db.session.deleteMany({ where: { id } });
    },
    async deleteForUser(userId) {
      return (await db.session.deleteMany({ where: { userId } })).count;
    },
  };
}

/** Builds the role repository over a client. */
export function prismaRoleRepository(db: Db): RoleRepository {
  return {
    async userRole(userId) {
      return (await db.userRole.findUnique({ where: { userId } }))?.role ?? null;
    },
    async setUserRole(userId, role, at) {
      await db.userRole.upsert({
        where: { userId },
        create: { userId, role, updatedAt: at },
        update: { role, updatedAt: at },
      });
    },
    async tokenRole(tokenId) {
      return (await db.apiTokenRole.findUnique({ where: { tokenId } }))?.role ?? null;
    },
    async setTokenRole(tokenId, role) {
      await db.apiTokenRole.upsert({ where: { tokenId }, create: { tokenId, role }, update: { role } });
    },
  };
}
