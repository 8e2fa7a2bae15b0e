/**
 * First-start admin credential: an `admin` user with a random password and an admin API token. Only scrypt hashes
 * of both are stored in the database. The password is returned once (the caller prints it once) and written to no
 * file; `<dataDir>/admin-credentials.json` (0600) keeps the user name and the API token only, so that the CLI on the
 * server host (`homeostat token create`, `homeostat start`) can call the API. A file left by an older version that
 * still holds the password is rewritten without it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatBearer, hashRandomSecret, hashSecret, randomId, randomSecret } from '../keys/secrets.ts';
import type { Store } from '../store/ports.ts';

export const API_TOKEN_PREFIX = 'hat';
export const ADMIN_CREDENTIALS_FILE = 'admin-credentials.json';

/** What the first start returns (and prints once): the password exists in memory only. */
export type AdminCredentials = { username: string; password: string; apiToken: string; createdAt: string };
/** What `admin-credentials.json` holds: never the password. */
export type StoredAdminCredentials = { username: string; apiToken: string; createdAt: string };

/** Creates the admin when there is no user yet; returns the new credentials, or null when they already existed. */
export async function bootstrapAdmin(
  store: Store,
  dataDir: string,
  now = new Date(),
): Promise<AdminCredentials | null> {
  if ((await store.users.count()) > 0) {
    scrubLegacyPassword(dataDir);
    return null;
  }
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
  writeStored(dataDir, { username: creds.username, apiToken: creds.apiToken, createdAt: creds.createdAt });
  return creds;
}

/** Reads `<dataDir>/admin-credentials.json` (user name and API token), or null. */
export function readAdminCredentials(dataDir: string): StoredAdminCredentials | null {
  const file = join(dataDir, ADMIN_CREDENTIALS_FILE);
  if (!existsSync(file)) return null;
  const { username, apiToken, createdAt } = JSON.parse(readFileSync(file, 'utf8')) as StoredAdminCredentials;
  return { username, apiToken, createdAt };
}

/** An older version kept the plaintext password in the file: rewrite it without (N7). */
function scrubLegacyPassword(dataDir: string): void {
  const file = join(dataDir, ADMIN_CREDENTIALS_FILE);
  if (!existsSync(file)) return;
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return;
  }
  if (!('password' in raw)) return;
  writeStored(dataDir, readAdminCredentials(dataDir) as StoredAdminCredentials);
}

function writeStored(dataDir: string, stored: StoredAdminCredentials): void {
  writeFileSync(join(dataDir, ADMIN_CREDENTIALS_FILE), `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
}
