/**
 * `homeostat start --tls-cert/--tls-key/--tls-ca` (docs/tls.md, issue 13): the real CLI serves HTTPS and MQTT over
 * TLS, its local agent pins the CA and delivers samples over mqtts, and a plain connection is refused. Bad TLS flags
 * (on `start` and `server`) are configuration errors from the zod config: exit code 2, one line per problem.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { trustingFetch } from '../../contract/tls/trust.ts';
import { certificateSha256 } from '../../contract/tls/certificates.ts';
import { adminToken, homeostat, poll, run, waitForLine, type Proc } from './harness.ts';

describe('homeostat start with TLS flags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-start-tls-'));
  const tls = (f: string) => join(dir, 'tls', f);
  const procs: Proc[] = [];

  before(async () => {
    const r = await run(['tls', 'init', '--dir', join(dir, 'tls'), '--name', '127.0.0.1']);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    for (const p of procs.reverse()) await p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves HTTPS and mqtts; the local agent pins the CA and its samples arrive over TLS', async () => {
    const dataDir = join(dir, 'data');
    const proc = homeostat([
      'start',
      '--data-dir',
      dataDir,
      '--http-port',
      '0',
      '--mqtt-port',
      '0',
      '--ws-port',
      '0',
      '--cycle-seconds',
      '1',
      '--tls-cert',
      tls('server.pem'),
      '--tls-key',
      tls('server.key'),
      '--tls-ca',
      tls('ca.pem'),
    ]);
    procs.push(proc);
    const line = await waitForLine(proc, (l) => l.startsWith('{"event":"started"'), 90_000, 'homeostat start');
    const info = JSON.parse(line) as { httpUrl: string; mqttUrl: string; wsUrl: string; agentId: string };
    assert.match(info.httpUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(info.mqttUrl, /^mqtts:\/\/127\.0\.0\.1:\d+$/);
    assert.match(info.wsUrl, /^wss:\/\/127\.0\.0\.1:\d+$/);
    // the printed curl line works as printed: it names the CA to trust
    assert.match(proc.stdout.join('\n'), new RegExp(`samples: +curl --cacert ${tls('ca.pem')} `));
    const caPem = readFileSync(tls('ca.pem'), 'utf8');
    const https = trustingFetch(caPem);
    assert.equal((await https(`${info.httpUrl}/healthz`)).status, 200);
    // only the private CA makes it trusted: Node's default trust store refuses it, and plain HTTP is not served
    await assert.rejects(fetch(`${info.httpUrl}/healthz`), /fetch failed/);
    await assert.rejects(fetch(info.httpUrl.replace('https://', 'http://') + '/healthz'));
    // the MQTT port speaks TLS with the configured certificate
    const port = Number(new URL(info.mqttUrl.replace('mqtts://', 'https://')).port);
    const peerCa = await new Promise<string>((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port, ca: caPem }, () => {
        const issuer = s.getPeerCertificate(true).issuerCertificate;
        s.end();
        resolve(issuer.raw.toString('base64'));
      });
      s.once('error', reject);
    });
    assert.equal(
      certificateSha256(`-----BEGIN CERTIFICATE-----\n${peerCa}\n-----END CERTIFICATE-----\n`),
      certificateSha256(caPem),
    );
    // the local agent enrolled over HTTPS with the CA pinned and delivers over mqtts
    const creds = JSON.parse(readFileSync(join(dataDir, 'agent', 'credentials.json'), 'utf8'));
    assert.equal(certificateSha256(creds.ca), certificateSha256(caPem));
    assert.equal(creds.mqttUrl, info.mqttUrl);
    const token = await adminToken(dataDir);
    await poll(
      async () => {
        const res = await https(`${info.httpUrl}/api/hosts/${info.agentId}/samples?limit=5`, {
          headers: { authorization: `Bearer ${token}` },
        });
        return (((await res.json()) as { samples?: unknown[] }).samples?.length ?? 0) >= 2;
      },
      90_000,
      'samples from the local agent over mqtts',
    );
    assert.equal(await proc.kill('SIGTERM'), 0);
  });

  it('refuses incomplete or unreadable TLS flags with the config errors, exit code 2 (start and server)', async () => {
    const notPem = join(dir, 'not.pem');
    writeFileSync(notPem, 'hello\n');
    const common = ['--data-dir', join(dir, 'bad'), '--http-port', '0', '--mqtt-port', '0', '--ws-port', '0'];
    const keyOnly = await run(['start', ...common, '--tls-key', tls('server.key')]);
    assert.equal(keyOnly.code, 2, keyOnly.stderr);
    assert.match(keyOnly.stderr, /homeostat start: 1 configuration error\(s\):\n {2}- tls\.cert: tls\.cert must be/);
    const caOnly = await run(['server', ...common, '--tls-ca', tls('ca.pem')]);
    assert.equal(caOnly.code, 2, caOnly.stderr);
    assert.match(caOnly.stderr, /homeostat server: \d configuration error\(s\):[\s\S]*tls\.cert must be/);
    const bad = await run(['start', ...common, '--tls-cert', notPem, '--tls-key', join(dir, 'missing.key')]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /tls\.cert: .*not\.pem holds no PEM certificate/);
    assert.match(bad.stderr, /tls\.key: cannot read .*missing\.key: ENOENT/);
  });
});
