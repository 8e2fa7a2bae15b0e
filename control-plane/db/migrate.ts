/**
 * Applies the checked-in SQL migrations (`prisma/<provider>/migrations/<name>/migration.sql`) at start-up, in name order,
 * each once, recorded in `_homeostat_migrations`. In-process and offline (no Prisma CLI, no schema engine), so a fresh
 * clone and a SIGKILLed-then-restarted server both just work.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listMigrations, providerPaths, type Provider } from './generate-schemas.ts';

/** Minimal raw-SQL surface of a Prisma client. */
export type RawSql = {
  $executeRawUnsafe(sql: string, ...values: unknown[]): Promise<number>;
  $queryRawUnsafe<T = unknown>(sql: string, ...values: unknown[]): Promise<T>;
  $transaction<T>(queries: Promise<T>[]): Promise<T[]>;
};

/** Splits a Prisma-generated migration script into statements (they end with `;` at end of line). */
export function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*(?:\r?\n|$)/)
    .map((s) =>
      s
        .split('\n')
        .filter((l) => !l.trim().startsWith('--'))
        .join('\n')
        .trim(),
    )
    .filter((s) => s.length > 0);
}

/** Applies pending migrations; returns the names applied now. */
export async function applyMigrations(db: RawSql, provider: Provider): Promise<string[]> {
  await db.$executeRawUnsafe(
    'CREATE TABLE IF NOT EXISTS "_homeostat_migrations" ("name" TEXT PRIMARY KEY, "appliedAt" TEXT NOT NULL)',
  );
  const rows = await db.$queryRawUnsafe<{ name: string }[]>('SELECT "name" FROM "_homeostat_migrations"');
  const done = new Set(rows.map((r) => r.name));
  const applied: string[] = [];
  for (const name of listMigrations(provider)) {
    if (done.has(name)) continue;
    const sql = readFileSync(join(providerPaths(provider).migrations, name, 'migration.sql'), 'utf8');
    const insert =
      provider === 'postgres'
        ? 'INSERT INTO "_homeostat_migrations" ("name", "appliedAt") VALUES ($1, $2)'
        : 'INSERT INTO "_homeostat_migrations" ("name", "appliedAt") VALUES (?, ?)';
    // One transaction per migration: a crash mid-way leaves it unapplied rather than half-applied.
    await db.$transaction([
      ...splitStatements(sql).map((s) => db.$executeRawUnsafe(s)),
      db.$executeRawUnsafe(insert, name, new Date().toISOString()),
    ]);
    applied.push(name);
  }
  return applied;
}
