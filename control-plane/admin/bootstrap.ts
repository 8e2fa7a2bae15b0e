/**
 * First-start admin credential: an `admin` user with a random password and an admin API token. Only hashes of both
 * are stored in the database (keys/secrets.ts: scrypt for the password, a salted HMAC for the generated token). The
 * password is returned once (the caller prints it once) and written to no file; `<dataDir>/admin-credentials.json`
 * keeps the user name and the API token only, so that the CLI on the server host (`homeostat token create`,
 * `homeostat start`) can call the API. That file holds a plaintext bearer token: it is written with mode 0600
 * (atomically), and at every start a file left readable by others (a copy, an older version) is tightened to 0600;
 * a file that still holds a password from an older version is rewritten without it (docs/configuration.md).
 */
import { chmodSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
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
    tightenMode(dataDir);
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

/** The file holds a bearer token: readable by its owner only, whatever mode an older version or a copy left. */
function tightenMode(dataDir: string): void {
  const file = join(dataDir, ADMIN_CREDENTIALS_FILE);
  if (existsSync(file) && (statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
}

/** Written to a new 0600 file and renamed over the old one: never a moment with the token in a wider file. */
function writeStored(dataDir: string, stored: StoredAdminCredentials): void {
  const file = join(dataDir, ADMIN_CREDENTIALS_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600); // a leftover tmp file keeps its old mode through writeFileSync
  renameSync(tmp, file);
}
