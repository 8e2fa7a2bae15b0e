/**
 * Shared plumbing of the repository contract suites: each suite is a function registering node:test cases against
 * one implementation; `open` returns a fresh, migrated, empty repository, a way to write raw SQL (to plant rows that
 * break their schema) and a cleanup.
 */
import { test } from 'node:test';

/** A fresh repository over an empty database. */
export type OpenRepository<R> = () => Promise<{
  repo: R;
  sql(statement: string): Promise<unknown>;
  cleanup(): Promise<void>;
}>;

/** Returns `t(title, fn)` registering one case of `suite` on `backend`; `skip` (a reason) skips them all. */
export function contractCases<R>(suite: string, backend: string, open: OpenRepository<R>, skip: string | false) {
  return (title: string, fn: (repo: R, sql: (statement: string) => Promise<unknown>) => Promise<void>) =>
    test(`${suite} (${backend}): ${title}`, { skip }, async () => {
      const { repo, sql, cleanup } = await open();
      try {
        await fn(repo, sql);
      } finally {
        await cleanup();
      }
    });
}
