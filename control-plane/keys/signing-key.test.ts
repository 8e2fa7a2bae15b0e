import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateSigningKey, verify } from './signing-key.ts';
import { formatBearer, hashRandomSecret, hashSecret, parseBearer, randomSecret, verifySecret } from './secrets.ts';

test('signing key is created once (0600), reloaded, and signs/verifies', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keys-'));
  const k1 = loadOrCreateSigningKey(dir);
  assert.equal(statSync(join(dir, 'signing-key.pem')).mode & 0o777, 0o600);
  const k2 = loadOrCreateSigningKey(dir);
  assert.equal(k1.publicKeyPem, k2.publicKeyPem);
  const sig = k1.sign(Buffer.from('bundle'));
  assert.equal(sig.length, 64);
  assert.equal(k2.verify(Buffer.from('bundle'), sig), true);
  assert.equal(verify(k1.publicKeyPem, Buffer.from('bundle!'), sig), false);
  assert.equal(verify('not a key', Buffer.from('bundle'), sig), false);
});

test('scrypt secrets and bearer values', async () => {
  const h = await hashSecret('s3cret');
  assert.match(h, /^scrypt\$16384\$8\$1\$/);
  assert.equal(await verifySecret('s3cret', h), true);
  assert.equal(await verifySecret('s3cret!', h), false);
  assert.equal(await verifySecret('s3cret', 'garbage'), false);
  assert.deepEqual(parseBearer('het', formatBearer('het', 'et-1', 'a.b')), { id: 'et-1', secret: 'a.b' });
  assert.equal(parseBearer('het', 'hat_x.y'), null);
});

test('generated secrets get a fast salted hash; both forms verify; passwords are refused by the fast form', async () => {
  const secret = randomSecret();
  const h = hashRandomSecret(secret);
  assert.match(h, /^hmac-sha256\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  assert.notEqual(hashRandomSecret(secret), h, 'salted');
  assert.equal(await verifySecret(secret, h), true);
  assert.equal(await verifySecret(`${secret}x`, h), false);
  assert.equal(await verifySecret(secret, 'hmac-sha256$bad'), false);
  assert.equal(await verifySecret(secret, await hashSecret(secret)), true, 'scrypt hashes stored earlier still verify');
  assert.throws(
    () => hashRandomSecret('hunter2'),
    /only for generated secrets of at least 128 bits .* hash passwords with hashSecret/,
  );
});
