// Prisma CLI config for the postgres schema: the JS schema engine through a driver adapter, so no engine binary is ever
// downloaded. The JS schema engine connects even for schema-to-schema diffs, so `migrate diff` needs a reachable
// PostgreSQL: HOMEOSTAT_SCHEMA_PG_URL (or HOMEOSTAT_TEST_PG_URL); nothing is written to it. Used by generate-schemas.ts (migrate diff) and postinstall (generate); the server applies migrations itself.
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: './schema.prisma',
  adapter: async () =>
    new PrismaPg({
      connectionString:
        process.env.HOMEOSTAT_SCHEMA_PG_URL ?? process.env.HOMEOSTAT_TEST_PG_URL ?? 'postgresql://localhost/homeostat',
    }),
});
