/**
 * Runs every fleet repository's contract suite against the Prisma implementations on SQLite and on PostgreSQL
 * (skipped with the reason when HOMEOSTAT_TEST_PG_URL is unset). Each case gets a fresh, migrated database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, pgSkipReason } from '../../test/support/postgres.ts';
import { openStore } from '../store/prisma-store.ts';
import type { FleetRepositories } from '../store/ports.ts';
import { runRoleRepositoryContract, runSessionRepositoryContract } from './access-repositories.contract.ts';
import { runApprovalRepositoryContract } from './approval-repository.contract.ts';
import { runAuditRepositoryContract } from './audit-repository.contract.ts';
import type { OpenRepository } from './contract-support.ts';
import { runIncidentRepositoryContract } from './incident-repository.contract.ts';
import { runModelRepositoryContract } from './model-repository.contract.ts';
import { runPolicyRepositoryContract } from './policy-repository.contract.ts';
import { runRefitJobRepositoryContract } from './refit-job-repository.contract.ts';
import { runRolloutRepositoryContract } from './rollout-repository.contract.ts';
import { runSilenceRepositoryContract } from './silence-repository.contract.ts';
import { runWebhookRepositoryContract } from './webhook-repository.contract.ts';

type Backend = { name: string; skip: string | false; open<R>(pick: (s: FleetRepositories) => R): OpenRepository<R> };

const sqlite: Backend = {
  name: 'sqlite',
  skip: false,
  open: (pick) => async () => {
    const dir = mkdtempSync(join(tmpdir(), 'repos-'));
    const store = await openStore({ provider: 'sqlite', file: join(dir, 'h.db') });
    return {
      repo: pick(store),
      sql: (s) => store.db.$executeRawUnsafe(s),
      cleanup: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

const postgres: Backend = {
  name: 'postgres',
  skip: pgSkipReason,
  open: (pick) => async () => {
    const db = await createTestDatabase();
    const store = await openStore({ provider: 'postgres', url: db.url });
    return {
      repo: pick(store),
      sql: (s) => store.db.$executeRawUnsafe(s),
      cleanup: async () => {
        await store.close();
        await db.drop();
      },
    };
  },
};

for (const b of [sqlite, postgres]) {
  runRefitJobRepositoryContract(
    b.name,
    b.open((s) => s.refits),
    b.skip,
  );
  runRolloutRepositoryContract(
    b.name,
    b.open((s) => s.rollouts),
    b.skip,
  );
  runPolicyRepositoryContract(
    b.name,
    b.open((s) => s.policies),
    b.skip,
  );
  runModelRepositoryContract(
    b.name,
    b.open((s) => s.models),
    b.skip,
  );
  runIncidentRepositoryContract(
    b.name,
    b.open((s) => s.incidents),
    b.skip,
  );
  runApprovalRepositoryContract(
    b.name,
    b.open((s) => s.approvals),
    b.skip,
  );
  runSilenceRepositoryContract(
    b.name,
    b.open((s) => s.silences),
    b.skip,
  );
  runAuditRepositoryContract(
    b.name,
    b.open((s) => s.audit),
    b.skip,
  );
  runWebhookRepositoryContract(
    b.name,
    b.open((s) => s.webhooks),
    b.skip,
  );
  runSessionRepositoryContract(
    b.name,
    b.open((s) => s.sessions),
    b.skip,
  );
  runRoleRepositoryContract(
    b.name,
    b.open((s) => s.roles),
    b.skip,
  );
}
