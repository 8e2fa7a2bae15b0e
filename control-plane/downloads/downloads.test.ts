import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { unreachableUrlReason } from '../../contract/api/install.ts';
import { loadServerConfig } from '../config/server-config.ts';
import { loadOrCreateSigningKey } from '../keys/signing-key.ts';
import { createAgentArtifacts } from './agent-artifacts.ts';
import { renderInstallScript } from './downloads-routes.ts';
import { keyFingerprint } from './install-info.ts';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';

test('loopback, link-local and unspecified advertised URLs are named; routable ones are not', () => {
  for (const [url, kind] of [
    ['http://127.0.0.1:8080', 'loopback'],
    ['http://localhost:8080', 'loopback'],
    ['http://[::1]:8080', 'loopback'],
    ['http://169.254.10.2', 'link-local'],
    ['http://[fe80::1]:8080', 'link-local'],
    ['http://0.0.0.0:8080', 'unspecified'],
  ] as const)
    assert.match(unreachableUrlReason(url) ?? '', new RegExp(`is a ${kind} address`), url);
  for (const url of ['http://10.0.0.5:8080', 'https://cp.example.com', 'http://[2001:db8::1]:8080'])
    assert.equal(unreachableUrlReason(url), null, url);
  assert.match(unreachableUrlReason('not a url') ?? '', /is not a URL/);
});

test('advertisedUrl: from HOMEOSTAT_ADVERTISED_URL, trailing slash dropped, only http(s) without quotes', () => {
  assert.equal(
    loadServerConfig({ env: { HOMEOSTAT_ADVERTISED_URL: 'https://cp.example.com/' } }).advertisedUrl,
    'https://cp.example.com',
  );
  assert.throws(
    () => loadServerConfig({ env: { HOMEOSTAT_ADVERTISED_URL: "http://x'; rm -rf /" } }),
    /advertisedUrl must be an http:\/\/ or https:\/\/ URL.*HOMEOSTAT_ADVERTISED_URL/,
  );
  assert.throws(() => loadServerConfig({ env: { HOMEOSTAT_ADVERTISED_URL: 'ftp://x' } }), /advertisedUrl/);
});

test('install.sh gets the advertised URL as its default server, and nothing that could break out of the quotes', () => {
  const script = readFileSync(new URL('../../packaging/install.sh', import.meta.url), 'utf8');
  const out = renderInstallScript(script, 'http://10.0.0.5:8080');
  assert.match(out, /^SERVER_DEFAULT='http:\/\/10\.0\.0\.5:8080'$/m);
  assert.equal(out.length, script.length - '@HOMEOSTAT_SERVER_URL@'.length + 'http://10.0.0.5:8080'.length);
  assert.throws(() => renderInstallScript(script, "http://x'$(id)'"), /cannot be put in a shell script/);
});

test('artifacts: newest version per platform; a signature by another key is replaced by this control plane’s', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'homeostat-artifacts-'));
  const key = loadOrCreateSigningKey(dataDir);
  const dir = join(dataDir, 'downloads');
  mkdirSync(dir);
  const write = (name: string, bytes: string) => writeFileSync(join(dir, name), bytes);
  write('homeostat-agent-0.9.0-linux-x64.tar.gz', 'old');
  write('homeostat-agent-0.10.0-linux-x64.tar.gz', 'new');
  const other = generateKeyPairSync('ed25519').privateKey;
  write('homeostat-agent-0.10.0-linux-x64.tar.gz.sig', sign(null, Buffer.from('new'), other).toString('binary'));
  const artifacts = createAgentArtifacts({
    dataDir,
    dirs: [dir],
    signingKey: () => key,
    log: pino({ level: 'silent' }),
  });
  assert.deepEqual(
    artifacts.find().map((a) => [a.platform, a.version]),
    [['linux-x64', '0.10.0']],
  );
  const a = (await artifacts.ensure('linux-x64'))!;
  assert.equal(a.version, '0.10.0');
  assert.equal(a.sha256, createHash('sha256').update('new').digest('hex'));
  assert.equal(key.verify(Buffer.from('new'), a.signature), true, 'signed by this control plane');
  assert.deepEqual(readFileSync(join(dir, 'homeostat-agent-0.10.0-linux-x64.tar.gz.sig')), a.signature);
  assert.equal(await artifacts.ensure('linux-arm64'), null, 'no arm64 artifact, and none is built here');
  assert.match(keyFingerprint(key.publicKeyPem), /^[0-9a-f]{64}$/);
});
