/**
 * PostgreSQL for tests: given HOMEOSTAT_TEST_PG_URL (a server where that role may CREATE DATABASE), creates a fresh
 * uniquely named database per call and drops it on cleanup. Without the variable, `pgSkipReason` says why tests skip.
 */
import { randomBytes } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../../control-plane/db/generated/postgres/client.ts';

/** The admin URL, or undefined. */
export const PG_URL = process.env.HOMEOSTAT_TEST_PG_URL;

/** Reason to pass as `skip` to node:test when PostgreSQL is not configured; false when it is. */
export const pgSkipReason: string | false = PG_URL
  ? false
  : 'HOMEOSTAT_TEST_PG_URL is not set (e.g. postgres://user:pass@127.0.0.1:5432/postgres); PostgreSQL variant skipped';

export type TestDatabase = { url: string; name: string; drop(): Promise<void> };

/** Creates `homeostat_test_<random>` on the server of HOMEOSTAT_TEST_PG_URL and returns its URL. */
export async function createTestDatabase(adminUrl = PG_URL): Promise<TestDatabase> {
  if (!adminUrl) throw new Error(pgSkipReason || 'HOMEOSTAT_TEST_PG_URL is not set');
  const name = `homeostat_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await adminSql(adminUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      await adminSql(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

async function adminSql(adminUrl: string, sql: string): Promise<void> {
  const admin = new PrismaClient({ adapter: new PrismaPg({ connectionString: adminUrl, max: 1 }) });
  try {
    await admin.$executeRawUnsafe(sql);
  } finally {
    await admin.$disconnect();
  }
}
