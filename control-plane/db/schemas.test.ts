import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSchemas, listMigrations } from './generate-schemas.ts';
import { splitStatements } from './migrate.ts';

test('generated Prisma schemas and migrations are up to date with schema/*.prisma', () => {
  assert.deepEqual(checkSchemas(), []);
  assert.deepEqual(listMigrations('sqlite'), listMigrations('postgres'));
});

test('migration scripts split into statements without comments', () => {
  assert.deepEqual(
    splitStatements(
      '-- CreateTable\nCREATE TABLE "a" (\n "x" TEXT\n);\n\n-- CreateIndex\nCREATE INDEX "i" ON "a"("x");\n',
    ),
    ['CREATE TABLE "a" (\n "x" TEXT\n)', 'CREATE INDEX "i" ON "a"("x")'],
  );
});
