// Prisma CLI config for the sqlite schema: the JS schema engine through a driver adapter, so no engine binary is ever
// downloaded. Used by generate-schemas.ts (migrate diff) and postinstall (generate); the server applies migrations itself.
import { defineConfig } from 'prisma/config';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: './schema.prisma',
  adapter: async () => new PrismaBetterSQLite3({ url: ':memory:' }),
});
