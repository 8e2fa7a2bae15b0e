/**
 * TLS at the boundary, with real certificates on loopback (docs/tls.md): `homeostat tls init` writes a CA and a
 * server certificate, `homeostat server` serves HTTPS and MQTT over TLS with them, an agent enrolls with the CA's
 * sha256 (pinned from then on) and its samples arrive over mqtts. A certificate from another CA is refused by the
 * agent with one clear line, plain MQTT is refused by the broker, and a plain mqtt:// URL by the agent.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { trustingFetch } from '../../contract/tls/trust.ts';
import { certificateSha256 } from '../../contract/tls/certificates.ts';
import {
  adminToken,
  agentStatus,
  freePort,
  homeostatAgent,
  poll,
  run,
  runAgent,
  startServer,
  type Proc,
  type ServerInfo,
} from './harness.ts';

describe('TLS: HTTPS, mqtts and the pinned CA, end to end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-tls-'));
  const procs: Proc[] = [];
  let info: ServerInfo;
  let admin: string;
  let caPem: string;
  let caSha256: string;
  let https: typeof fetch;
  let agentId = '';
  const stateDir = join(dir, 'agent');

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await https(`${info.httpUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  };
  const enrollmentToken = async () => {
    const r = await api('POST', '/api/tokens', { uses: 1 });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.token as string;
  };

  before(async () => {
    for (const d of ['tls', 'other'])
      assert.equal((await run(['tls', 'init', '--dir', join(dir, d), '--name', '127.0.0.1'])).code, 0);
    caPem = readFileSync(join(dir, 'tls', 'ca.pem'), 'utf8');
    caSha256 = certificateSha256(caPem);
    https = trustingFetch(caPem);
    const tls = (f: string) => join(dir, 'tls', f);
    const server = await startServer(join(dir, 'cp'), undefined, [
      '--tls-cert',
      tls('server.pem'),
      '--tls-key',
      tls('server.key'),
      '--tls-ca',
      tls('ca.pem'),
    ]);
    procs.push(server.proc);
    info = server.info;
    admin = await adminToken(join(dir, 'cp'));
  });
  after(async () => {
    for (const p of procs.reverse()) await p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves HTTPS, mqtts and wss, and the one-liner carries both pins', async () => {
    assert.match(info.httpUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(info.mqttUrl, /^mqtts:\/\/127\.0\.0\.1:\d+$/);
    assert.match(info.wsUrl, /^wss:\/\/127\.0\.0\.1:\d+$/);
    // Node's fetch trusts only the system CAs: the private CA's certificate is refused there.
    await assert.rejects(fetch(`${info.httpUrl}/healthz`), /fetch failed/);
    const r = await api('GET', '/api/enrollment/install');
    assert.equal(r.status, 200);
    assert.equal(r.body.tls.caSha256, caSha256);
    assert.match(
      r.body.command,
      /^curl -fsSLk --pinnedpubkey 'sha256\/\/[A-Za-z0-9+/=]+' https:\/\/.*--ca-sha256 [0-9a-f]{64}$/,
    );
    const ca = await https(`${info.httpUrl}/downloads/ca.pem`);
    assert.equal(certificateSha256(await ca.text()), caSha256);
  });

  it('refuses to enroll against an untrusted certificate or a wrong pin, with one clear line', async () => {
    const token = await enrollmentToken();
    const untrusted = await runAgent(['enroll', '--server', info.httpUrl, '--token', token, '--state-dir', stateDir]);
    assert.equal(untrusted.code, 1);
    assert.match(
      untrusted.stderr,
      /TLS: the certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted by this host's trusted CAs.*--ca-sha256/,
    );
    const other = join(dir, 'other', 'ca.pem');
    const wrongCa = await runAgent([
      'enroll',
      '--server',
      info.httpUrl,
      '--token',
      token,
      '--state-dir',
      stateDir,
      '--ca-file',
      other,
    ]);
    assert.equal(wrongCa.code, 1);
    assert.match(wrongCa.stderr, /not trusted by the CA pinned at enrollment/);
    const wrongPin = await runAgent([
      'enroll',
      '--server',
      info.httpUrl,
      '--token',
      token,
      '--state-dir',
      stateDir,
      '--ca-sha256',
      'ab'.repeat(32),
    ]);
    assert.equal(wrongPin.code, 1);
    assert.match(wrongPin.stderr, /no certificate with sha256 abab.* in the chain/);
  });

  it('enrolls with --ca-sha256, pins the CA and delivers samples over mqtts', async () => {
    const token = await enrollmentToken();
    const r = await runAgent([
      'enroll',
      '--server',
      info.httpUrl,
      '--token',
      token,
      '--state-dir',
      stateDir,
      '--ca-sha256',
      caSha256.toUpperCase(),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`control plane CA pinned \\(sha256 ${caSha256}\\)`));
    const creds = JSON.parse(readFileSync(join(stateDir, 'credentials.json'), 'utf8'));
    assert.equal(certificateSha256(creds.ca), caSha256);
    assert.equal(creds.mqttUrl, info.mqttUrl);
    agentId = creds.agentId;
    const agent = homeostatAgent(['run', '--state-dir', stateDir, '--cycle-seconds', '1', '--log-level', 'warn']);
    procs.push(agent);
    await poll(
      async () => (await api('GET', `/api/hosts/${agentId}/samples?limit=5`)).body?.samples?.length >= 3,
      90_000,
      'three samples over mqtts',
    );
    await agent.kill('SIGTERM');
  });

  it('the agent refuses a certificate from another CA, and a plain mqtt:// URL', async () => {
    const other = (f: string) => readFileSync(join(dir, 'other', f));
    const port = await freePort();
    const impostor: TlsServer = createTlsServer({ cert: other('server.pem'), key: other('server.key') }, (s) =>
      s.end(),
    );
    await new Promise<void>((r) => impostor.listen(port, '127.0.0.1', r));
    try {
      const agent = homeostatAgent(['run', '--state-dir', stateDir, '--cycle-seconds', '1', '--log-level', 'warn'], {
        HOMEOSTAT_AGENT_SERVER__MQTT_URL: `mqtts://127.0.0.1:${port}`,
      });
      procs.push(agent);
      const st = await poll(
        async () => ((await agentStatus(stateDir))?.link?.lastError?.startsWith('TLS:') ? agentStatus(stateDir) : null),
        60_000,
        'the TLS refusal in the status file',
      );
      assert.match(
        st.link.lastError,
        /^TLS: the certificate of mqtts:\/\/127\.0\.0\.1:\d+ is not trusted by the CA pinned at enrollment .*enroll again/,
      );
      assert.equal(st.link.state === 'connected', false);
      await agent.kill('SIGTERM');
    } finally {
      impostor.close();
    }
    const plain = homeostatAgent(['run', '--state-dir', stateDir, '--cycle-seconds', '1', '--log-level', 'warn'], {
      HOMEOSTAT_AGENT_SERVER__MQTT_URL: info.mqttUrl.replace('mqtts://', 'mqtt://'),
    });
    procs.push(plain);
    const st = await poll(
      async () =>
        (await agentStatus(stateDir))?.link?.lastError?.startsWith('refusing') ? agentStatus(stateDir) : null,
      60_000,
      'the plain-MQTT refusal in the status file',
    );
    assert.match(st.link.lastError, /^refusing mqtt:\/\/127\.0\.0\.1:\d+: this agent enrolled over TLS/);
    await plain.kill('SIGTERM');
  });

  it('rotates the agent secret without re-enrolling: the agent reconnects with it and the old one is refused', async () => {
    const before = JSON.parse(readFileSync(join(stateDir, 'credentials.json'), 'utf8'));
    const agent = homeostatAgent(['run', '--state-dir', stateDir, '--cycle-seconds', '1', '--log-level', 'warn']);
    procs.push(agent);
    const connected = await poll(
      async () => ((await agentStatus(stateDir))?.link?.state === 'connected' ? agentStatus(stateDir) : null),
      60_000,
      'the agent connected',
    );
    const r = await run([
      'host',
      'rotate-secret',
      agentId,
      '--server',
      info.httpUrl,
      '--ca-file',
      join(dir, 'tls', 'ca.pem'),
      '--data-dir',
      join(dir, 'cp'),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`rotation sent to ${agentId}`));
    const after = await poll(
      () => {
        const c = JSON.parse(readFileSync(join(stateDir, 'credentials.json'), 'utf8'));
        return c.secret !== before.secret ? c : null;
      },
      60_000,
      'the rotated secret in credentials.json',
    );
    assert.equal(after.previousSecret, before.secret);
    // the agent reconnected with the new secret and keeps delivering
    await poll(
      async () => {
        const st = await agentStatus(stateDir);
        return st?.link?.state === 'connected' && st.link.reconnects > connected.link.reconnects;
      },
      60_000,
      'the agent reconnected',
    );
    const since = Date.now();
    await poll(
      async () =>
        (await api('GET', `/api/hosts/${agentId}/samples?limit=5`)).body?.samples?.some(
          (x: { ts: number }) => x.ts > since,
        ),
      60_000,
      'a sample after the rotation',
    );
    // only the hash is stored, and the old secret no longer authenticates (MQTT, HTTP)
    const refused = await new Promise<string>((resolve) => {
      const c = mqtt.connect(info.mqttUrl, {
        ca: caPem,
        username: agentId,
        password: before.secret,
        clientId: agentId,
        reconnectPeriod: 0,
        connectTimeout: 10_000,
      });
      c.once('connect', () => resolve('connected'));
      c.once('error', (e) => resolve(`error: ${e.message}`));
      c.once('close', () => resolve('closed'));
      setTimeout(() => c.end(true), 15_000);
    });
    assert.match(refused, /error: .*(Not authorized|Bad username or password)/);
    const basic = (secret: string) =>
      https(`${info.httpUrl}/api/hosts/${agentId}`, {
        headers: { authorization: `Basic ${Buffer.from(`${agentId}:${secret}`).toString('base64')}` },
      });
    assert.equal((await basic(before.secret)).status, 401);
    const audit = await api('GET', '/api/audit?limit=100');
    assert.equal(audit.status, 200);
    assert.ok(
      JSON.stringify(audit.body).includes('/rotate-secret'),
      `audit has the rotation: ${JSON.stringify(audit.body).slice(0, 500)}`,
    );
    await agent.kill('SIGTERM');
  });

  it('the broker refuses plain MQTT on its TLS port', async () => {
    const creds = JSON.parse(readFileSync(join(stateDir, 'credentials.json'), 'utf8'));
    const client = mqtt.connect(info.mqttUrl.replace('mqtts://', 'mqtt://'), {
      username: creds.agentId,
      password: creds.secret,
      clientId: `${creds.agentId}-plain`,
      reconnectPeriod: 0,
      connectTimeout: 5000,
    });
    const outcome = await new Promise<string>((resolve) => {
      client.once('connect', () => resolve('connected'));
      client.once('error', (e) => resolve(`error: ${e.message}`));
      client.once('close', () => resolve('closed'));
    });
    client.end(true);
    assert.notEqual(outcome, 'connected');
  });
});
