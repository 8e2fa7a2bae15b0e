/** Every fleet repository over one Prisma client (SQLite or PostgreSQL: the generated model APIs are the same). */
import type { Db } from '../../db/database.ts';
import type { FleetRepositories } from '../../store/ports.ts';
import { prismaRoleRepository, prismaSessionRepository } from './access.ts';
import { prismaApprovalRepository } from './approvals.ts';
import { prismaAuditRepository } from './audit.ts';
import { prismaIncidentRepository } from './incidents.ts';
import { prismaModelRepository } from './models.ts';
import { prismaPolicyRepository } from './policies.ts';
import { prismaRefitJobRepository } from './refit-jobs.ts';
import { prismaRolloutRepository } from './rollouts.ts';
import { prismaSilenceRepository } from './silences.ts';
import { prismaWebhookRepository } from './webhooks.ts';

/** Builds the fleet repositories over a client. */
export function createPrismaFleetRepositories(db: Db): FleetRepositories {
  return {
    sessions: prismaSessionRepository(db),
    roles: prismaRoleRepository(db),
    audit: prismaAuditRepository(db),
    policies: prismaPolicyRepository(db),
    rollouts: prismaRolloutRepository(db),
    models: prismaModelRepository(db),
    incidents: prismaIncidentRepository(db),
    approvals: prismaApprovalRepository(db),
    silences: prismaSilenceRepository(db),
    webhooks: prismaWebhookRepository(db),
    refits: prismaRefitJobRepository(db),
  };
}
