/**
 * Secrets: random generation and scrypt hashing. Only hashes are stored (`scrypt$N$r$p$salt$hash`, base64url).
 * Bearer values carry their record id so lookup is by id and one scrypt verify: `<prefix>_<id>.<secret>`.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, createHash } from 'node:crypto';

const N = 16384, R = 8, P = 1, KEYLEN = 32;

function scrypt(secret: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(secret, salt, KEYLEN, { N: n, r, p, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))));
}

/** A random URL-safe secret (default 32 bytes of entropy). */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** A random lowercase id safe in topics and URLs: `<prefix>-<20 hex>`. */
export function randomId(prefix: string): string {
  return `${prefix}-${randomBytes(10).toString('hex')}`;
}

/** scrypt hash of a secret, self-describing. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(secret, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Constant-time check of a secret against a stored hash; false for malformed hashes. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, 'base64url');
  const key = await scrypt(secret, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p));
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** Fast digest for in-memory caches of already-verified secrets (never stored). */
export function cacheDigest(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('base64url');
}

/** Builds a bearer value `<prefix>_<id>.<secret>`. */
export function formatBearer(prefix: string, id: string, secret: string): string {
  return `${prefix}_${id}.${secret}`;
}

/** Splits a bearer value; null when it is not of the form `<prefix>_<id>.<secret>`. */
export function parseBearer(prefix: string, value: string): { id: string; secret: string } | null {
  if (!value.startsWith(`${prefix}_`)) return null;
  const rest = value.slice(prefix.length + 1);
  const dot = rest.indexOf('.');
  if (dot <= 0 || dot === rest.length - 1) return null;
  return { id: rest.slice(0, dot), secret: rest.slice(dot + 1) };
}
