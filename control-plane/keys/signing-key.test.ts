import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateSigningKey, verify } from './signing-key.ts';
import { formatBearer, hashSecret, parseBearer, verifySecret } from './secrets.ts';

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
