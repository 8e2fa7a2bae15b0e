import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '../../contract/errors.ts';
import { certificateSha256 } from '../../contract/tls/certificates.ts';
import { loadServerConfig } from '../config/server-config.ts';
import { tlsInit } from './tls-init.ts';

const dir = mkdtempSync(join(tmpdir(), 'hs-tls-material-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const a = tlsInit({ dir: join(dir, 'a'), names: ['localhost', '127.0.0.1'] });
const b = tlsInit({ dir: join(dir, 'b'), names: ['localhost'] });

test('tls init: a CA and a server certificate it issued; the config pins that CA', () => {
  const cfg = loadServerConfig({ env: {}, overrides: { tls: { cert: a.certFile, key: a.keyFile, ca: a.caFile } } });
  assert.equal(cfg.tls?.caSha256, a.caSha256);
  assert.equal(certificateSha256(cfg.tls!.caPem), a.caSha256);
  assert.equal(cfg.tls?.mqtt, true);
  // without tls.ca: the top certificate of the chain file (tls init appends the CA)
  const noCa = loadServerConfig({ env: {}, overrides: { tls: { cert: a.certFile, key: a.keyFile } } });
  assert.equal(noCa.tls?.caSha256, a.caSha256);
  assert.throws(() => tlsInit({ dir: join(dir, 'a'), names: ['x'] }), /exist; use --force/);
});

test('every TLS problem is reported at once, with the rest of the configuration', () => {
  writeFileSync(join(dir, 'junk.pem'), 'not a certificate\n');
  const err = (() => {
    try {
      loadServerConfig({
        env: { HOMEOSTAT_HTTP_PORT: '99999' },
        overrides: { tls: { cert: join(dir, 'junk.pem'), key: join(dir, 'missing.key'), ca: b.caFile } },
      });
    } catch (e) {
      return e as ValidationError;
    }
    throw new Error('no error');
  })();
  assert.ok(err instanceof ValidationError);
  const paths = err.issues.map((i) => i.path).sort();
  assert.deepEqual(paths, ['httpPort', 'tls.cert', 'tls.key']);
  assert.match(err.message, /junk\.pem holds no PEM certificate/);
  assert.match(err.message, /cannot read .*missing\.key: ENOENT/);
  // a key of another certificate, and a CA that did not issue it
  assert.throws(
    () => loadServerConfig({ env: {}, overrides: { tls: { cert: a.certFile, key: b.keyFile, ca: b.caFile } } }),
    (e: ValidationError) =>
      e.issues.length === 2 &&
      /is not the private key of the certificate/.test(e.message) &&
      /did not issue any certificate/.test(e.message),
  );
  assert.ok(readFileSync(a.keyFile, 'utf8').includes('PRIVATE KEY'));
});
