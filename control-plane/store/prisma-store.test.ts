import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from './prisma-store.ts';
import { runStoreContract, type OpenStore } from './store.contract.ts';
import { runCordonContract } from './cordon.contract.ts';
import { createTestDatabase, pgSkipReason } from '../../test/support/postgres.ts';

const sqlite: OpenStore = async () => {
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
};

const postgres: OpenStore = async () => {
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
};

runStoreContract('sqlite', sqlite);
runCordonContract('sqlite', sqlite);
runStoreContract('postgres', postgres, pgSkipReason);
runCordonContract('postgres', postgres, pgSkipReason);
