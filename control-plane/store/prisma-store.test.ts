import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from './prisma-store.ts';
import { runStoreContract } from './store.contract.ts';
import { createTestDatabase, pgSkipReason } from '../../test/support/postgres.ts';

runStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'store-'));
  const store = await openStore({ provider: 'sqlite', file: join(dir, 'h.db') });
  return {
    store,
    sql: (s) => store.db.$executeRawUnsafe(s),
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

runStoreContract(
  'postgres',
  async () => {
    const db = await createTestDatabase();
    const store = await openStore({ provider: 'postgres', url: db.url });
    return {
      store,
      sql: (s) => store.db.$executeRawUnsafe(s),
      cleanup: async () => {
        await store.close();
        await db.drop();
      },
    };
  },
  pgSkipReason,
);
