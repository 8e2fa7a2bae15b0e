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

export type Database = {
  db: Db;
  provider: Provider;
  migrationsApplied: string[];
  /**
   * Runs one write statement straight on the driver adapter Prisma itself uses (same SQLite
   * connection, same PostgreSQL pool, same behaviour as a Prisma raw query outside a transaction) and returns the
   * affected rows. Why: Prisma's query compiler (WASM) costs more CPU than SQLite on the ingest insert's one large
   * JSON parameter. Should the adapter throw (or not be connected yet), the statement runs once through
   * `$executeRawUnsafe` instead, so callers see Prisma's own errors (a failed statement changed nothing).
   */
  execute(sql: string, args: (string | number | null)[]): Promise<number>;
  close(): Promise<void>;
};

/** The part of a Prisma driver adapter `execute` uses (adapter-better-sqlite3 and adapter-pg). */
type RawAdapter = {
  executeRaw(q: {
    sql: string;
    args: unknown[];
    argTypes: { scalarType: ScalarType; arity: 'scalar' }[];
  }): Promise<number>;
};

/** Keeps the adapter Prisma connects through (Prisma calls the factory's `connect`). */
function keepAdapter<F extends { connect(): Promise<RawAdapter> }>(factory: F, keep: (a: RawAdapter) => void): F {
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = await connect();
    keep(adapter);
    return adapter;
  };
  return factory;
}

type ScalarType = 'string' | 'bigint' | 'float' | 'unknown';

/** The adapter's type of a parameter, as Prisma infers it for a raw query (the adapters convert strings by it). */
function argType(v: string | number | null): { scalarType: ScalarType; arity: 'scalar' } {
  const scalarType =
    typeof v === 'string' ? 'string' : typeof v === 'number' ? (Number.isInteger(v) ? 'bigint' : 'float') : 'unknown';
  return { scalarType, arity: 'scalar' };
}

/** Connects and migrates. */
export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  let db: Db;
  let adapter: RawAdapter | null = null;
  const keep = (a: RawAdapter) => {
    adapter = a;
  };
  if (target.provider === 'sqlite') {
    mkdirSync(join(target.file, '..'), { recursive: true });
    db = new SqliteClient({
      adapter: keepAdapter(new PrismaBetterSQLite3({ url: target.file, timeout: 10_000 }), keep),
    });
    // WAL: readers never block the ingest writer and a SIGKILL loses at most the last uncommitted transaction.
    await db.$queryRawUnsafe('PRAGMA journal_mode = WAL');
    await db.$queryRawUnsafe('PRAGMA synchronous = NORMAL');
    await db.$queryRawUnsafe('PRAGMA foreign_keys = ON');
  } else {
    // Library boundary: the two generated clients are distinct classes with the same model API (same schema fragments).
    db = new PostgresClient({
      adapter: keepAdapter(new PrismaPg({ connectionString: target.url, max: 8 }), keep),
    }) as unknown as Db;
  }
  try {
    const migrationsApplied = await applyMigrations(db, target.provider);
    const viaPrisma = (sql: string, args: (string | number | null)[]) => db.$executeRawUnsafe(sql, ...args);
    const execute = async (sql: string, args: (string | number | null)[]): Promise<number> => {
      const a: RawAdapter | null = adapter;
      if (!a) return viaPrisma(sql, args);
      const query = { sql, args, argTypes: args.map(argType) };
      try {
        return await a.executeRaw(query);
      } catch {
        return viaPrisma(sql, args);
      } finally {
        // The adapter's debug call (`debug('[js::executeRaw] %O', query)`) keeps the last 100 queries it saw in
        // @prisma/debug's history even with debugging off: with ingest batches of 1,000 real samples that held
        // ~340 MB of parameters alive. The adapter is done with the query here; drop what it would keep.
        query.sql = '';
        query.args = [];
        query.argTypes = [];
      }
    };
    return { db, provider: target.provider, migrationsApplied, execute, close: () => db.$disconnect() };
  } catch (err) {
    await db.$disconnect();
    throw err;
  }
}
