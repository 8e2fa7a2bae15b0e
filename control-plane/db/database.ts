/**
 * Opens the control-plane database: SQLite (WAL) in the data dir by default, PostgreSQL when the URL is postgres://.
 * Applies pending migrations before returning.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient as SqliteClient } from './generated/sqlite/client.ts';
import { PrismaClient as PostgresClient } from './generated/postgres/client.ts';
import { applyMigrations } from './migrate.ts';
import type { Provider } from './generate-schemas.ts';

/** Both generated clients have the same model API (same fragments); the SQLite one's type stands for both. */
export type Db = InstanceType<typeof SqliteClient>;

export type DatabaseTarget = { provider: 'sqlite'; file: string } | { provider: 'postgres'; url: string };

/** `postgres://…` / `postgresql://…` → PostgreSQL; `file:…` → that SQLite file; unset → `<dataDir>/homeostat.db`. */
export function resolveDatabaseTarget(databaseUrl: string | undefined, dataDir: string): DatabaseTarget {
  if (databaseUrl && /^postgres(ql)?:\/\//.test(databaseUrl)) return { provider: 'postgres', url: databaseUrl };
  if (databaseUrl?.startsWith('file:')) return { provider: 'sqlite', file: databaseUrl.slice('file:'.length) };
  return { provider: 'sqlite', file: join(dataDir, 'homeostat.db') };
}

export type Database = { db: Db; provider: Provider; migrationsApplied: string[]; close(): Promise<void> };

/** Connects and migrates. */
export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  let db: Db;
  if (target.provider === 'sqlite') {
    mkdirSync(join(target.file, '..'), { recursive: true });
    db = new SqliteClient({ adapter: new PrismaBetterSQLite3({ url: target.file, timeout: 10_000 }) });
    // WAL: readers never block the ingest writer and a SIGKILL loses at most the last uncommitted transaction.
    await db.$queryRawUnsafe('PRAGMA journal_mode = WAL');
    await db.$queryRawUnsafe('PRAGMA synchronous = NORMAL');
    await db.$queryRawUnsafe('PRAGMA foreign_keys = ON');
  } else {
    // Library boundary: the two generated clients are distinct classes with the same model API (same schema fragments).
    db = new PostgresClient({ adapter: new PrismaPg({ connectionString: target.url, max: 8 }) }) as unknown as Db;
  }
  try {
    const migrationsApplied = await applyMigrations(db, target.provider);
    return { db, provider: target.provider, migrationsApplied, close: () => db.$disconnect() };
  } catch (err) {
    await db.$disconnect();
    throw err;
  }
}
