import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
// Prisma's own debug module (a dependency of the driver adapters): its history is what the test looks at.
import { getLogs } from '@prisma/debug';
import { openDatabase } from './database.ts';

describe('Database.execute (the ingest insert, straight on the driver adapter)', () => {
  it('writes on Prisma’s own connection and reports Prisma’s error when the statement fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'homeostat-db-execute-'));
    const database = await openDatabase({ provider: 'sqlite', file: join(dir, 'h.db') });
    try {
      await database.db.$executeRawUnsafe('CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT NOT NULL)');
      const sql =
        'INSERT INTO t (k, v) SELECT j.value ->> 0, j.value ->> 1 FROM json_each(?) AS j WHERE true ON CONFLICT (k) DO NOTHING';
      assert.equal(
        await database.execute(sql, [
          JSON.stringify([
            ['a', '1'],
            ['b', '2'],
          ]),
        ]),
        2,
      );
      assert.equal(
        await database.execute(sql, [
          JSON.stringify([
            ['a', '1'],
            ['c', '3'],
          ]),
        ]),
        1,
      ); // idempotent
      // Seen by Prisma at once: same connection, no transaction of its own.
      const rows = await database.db.$queryRawUnsafe<{ k: string }[]>('SELECT k FROM t ORDER BY k');
      assert.deepEqual(
        rows.map((r) => r.k),
        ['a', 'b', 'c'],
      );
      // NOT NULL refused: the statement changed nothing and the error is Prisma's (what ingest's poison check reads).
      await assert.rejects(database.execute(sql, [JSON.stringify([['d', null]])]), (err: Error & { code?: string }) => {
        assert.equal(err.constructor.name, 'PrismaClientKnownRequestError');
        assert.equal(err.code, 'P2010');
        return true;
      });
      const n = await database.db.$queryRawUnsafe<{ n: number | bigint }[]>('SELECT COUNT(*) AS n FROM t');
      assert.equal(Number(n[0]!.n), 3);
    } finally {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves no parameters in Prisma’s debug history (it keeps the last 100 queries even with debugging off)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'homeostat-db-execute-'));
    const database = await openDatabase({ provider: 'sqlite', file: join(dir, 'h.db') });
    try {
      await database.db.$executeRawUnsafe('CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT NOT NULL)');
      const big = `features-${'x'.repeat(10_000)}`;
      assert.equal(await database.execute('INSERT INTO t (k, v) VALUES (?, ?)', ['a', big]), 1);
      assert.equal(getLogs(10_000_000).includes('features-'), false);
    } finally {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
