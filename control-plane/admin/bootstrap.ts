/**
 * First-start admin credential: an `admin` user with a random password and an admin API token. Only scrypt hashes
 * are stored; the plaintext is written once to `<dataDir>/admin-credentials.json` (0600) and returned.
 */
import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { formatBearer, hashRandomSecret, hashSecret, randomId, randomSecret } from '../keys/secrets.ts';
import type { Store } from '../store/ports.ts';

export const API_TOKEN_PREFIX = 'hat';
export const ADMIN_CREDENTIALS_FILE = 'admin-credentials.json';

export type AdminCredentials = { username: string; password: string; apiToken: string; createdAt: string };

/** Creates the admin when there is no user yet; returns the new credentials, or null when they already existed. */
export async function bootstrapAdmin(
  store: Store,
  dataDir: string,
  now = new Date(),
): Promise<AdminCredentials | null> {
  if ((await store.users.count()) > 0) return null;
  const password = randomSecret(18);
  const userId = randomId('user');
  await store.users.create({ id: userId, username: 'admin', passwordHash: await hashSecret(password) });
  const tokenId = randomId('at');
  const secret = randomSecret(32);
  await store.users.createApiToken({
    id: tokenId,
    userId,
    name: 'bootstrap admin token',
    tokenHash: hashRandomSecret(secret),
  });
  const creds: AdminCredentials = {
    username: 'admin',
    password,
    apiToken: formatBearer(API_TOKEN_PREFIX, tokenId, secret),
    createdAt: now.toISOString(),
  };
  writeFileSync(join(dataDir, ADMIN_CREDENTIALS_FILE), `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
  return creds;
}

/** Reads `<dataDir>/admin-credentials.json`, or null. */
export function readAdminCredentials(dataDir: string): AdminCredentials | null {
  const file = join(dataDir, ADMIN_CREDENTIALS_FILE);
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8')) as AdminCredentials;
}
