/**
 * Secret rotation for an agent that is offline (docs/tls.md, issue 13): a real `homeostat server` and a real
 * `homeostat-agent` on loopback. The rotation asked for while the agent is stopped answers 202 `queued`, changes
 * nothing yet (the agent's secret still works), survives being asked twice, and goes out when the agent's presence
 * comes online: the agent stores the new secret, reconnects with it, and the old one is refused on MQTT and, at once,
 * on HTTP although the HTTP check had verified and cached it just before.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import {
  adminToken,
  agentStatus,
  api,
  createEnrollmentToken,
  homeostatAgent,
  poll,
  run,
  runAgent,
  startServer,
  type Proc,
  type ServerInfo,
} from './harness.ts';

type Creds = { agentId: string; secret: string; previousSecret?: string };

describe('secret rotation of an offline agent: queued, delivered when it comes online', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-rotate-offline-'));
  const dataDir = join(dir, 'cp');
  const stateDir = join(dir, 'agent');
  const procs: Proc[] = [];
  let info: ServerInfo;
  let admin: string;
  let agentId = '';

  const creds = (): Creds => JSON.parse(readFileSync(join(stateDir, 'credentials.json'), 'utf8')) as Creds;
  const startAgent = () => {
    const p = homeostatAgent(['run', '--state-dir', stateDir, '--cycle-seconds', '1', '--log-level', 'warn']);
    procs.push(p);
    return p;
  };
  const host = async () => (await api(info.httpUrl, admin, 'GET', `/api/hosts/${agentId}`)).body;
  /** Status of an agent request with Basic credentials: 401 refused, 403 known agent on an admin route. */
  const basic = async (secret: string) =>
    (
      await fetch(`${info.httpUrl}/api/hosts/${agentId}`, {
        headers: { authorization: `Basic ${Buffer.from(`${agentId}:${secret}`).toString('base64')}` },
      })
    ).status;
  const mqttOutcome = (secret: string) =>
    new Promise<string>((resolve) => {
      const c = mqtt.connect(info.mqttUrl, {
        username: agentId,
        password: secret,
        clientId: agentId,
        reconnectPeriod: 0,
        connectTimeout: 30_000,
      });
      const done = (outcome: string) => {
        c.end(true);
        resolve(outcome);
      };
      c.once('connect', () => done('connected'));
      c.once('error', (e) => done(`error: ${e.message}`));
      c.once('close', () => done('closed'));
    });
  const counter = async (name: string) =>
    ((await api(info.httpUrl, admin, 'GET', '/api/metrics')).body?.counters?.[name] as number | undefined) ?? 0;

  before(async () => {
    const server = await startServer(dataDir);
    procs.push(server.proc);
    info = server.info;
    admin = await adminToken(dataDir);
    const token = await createEnrollmentToken(info.httpUrl, admin);
    const r = await runAgent(['enroll', '--server', info.httpUrl, '--token', token, '--state-dir', stateDir]);
    assert.equal(r.code, 0, r.stderr);
    agentId = creds().agentId;
  });
  after(async () => {
    for (const p of procs.reverse()) await p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('queues the rotation while the agent is stopped and changes nothing yet', async () => {
    const agent = startAgent();
    await poll(async () => (await host())?.online === true, 90_000, 'the agent online');
    const old = creds().secret;
    // verified (and cached by the HTTP check): a known agent, refused only by the admin route's role
    assert.equal(await basic(old), 403);
    await agent.kill('SIGTERM');
    await poll(async () => (await host())?.online === false, 90_000, 'the agent offline');

    const r = await api(info.httpUrl, admin, 'POST', `/api/hosts/${agentId}/rotate-secret`);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.body.queued, true);
    assert.equal(r.body.online, false);
    assert.equal(r.body.agentId, agentId);
    // asked again from the CLI: still one queued rotation, said so
    const cli = await run(['host', 'rotate-secret', agentId, '--server', info.httpUrl, '--data-dir', dataDir]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, new RegExp(`rotation queued for ${agentId} at .*offline`));
    // nothing changed: no secret was drawn, the current one still authenticates (HTTP and MQTT)
    assert.equal(creds().secret, old);
    assert.equal(await basic(old), 403);
    assert.equal(await mqttOutcome(old), 'connected');
    assert.equal(await counter('broker.auth.secret-rotated'), 0);
  });

  it('delivers it when the agent comes online: new secret in use, the old one refused on MQTT and HTTP at once', async () => {
    const old = creds().secret;
    const since = Date.now();
    const agent = startAgent();
    const rotated = await poll(
      () => {
        const c = creds();
        return c.secret !== old ? c : null;
      },
      90_000,
      'the rotated secret in credentials.json',
    );
    assert.equal(rotated.previousSecret, old);
    // the agent reconnected with the new secret: that first use made it the only one
    await poll(async () => (await counter('broker.auth.secret-rotated')) === 1, 90_000, 'the rotation completed');
    // no stale cache: the old secret, verified over HTTP a moment ago, is refused at once
    assert.equal(await basic(old), 401);
    assert.equal(await basic(rotated.secret), 403);
    assert.match(await mqttOutcome(old), /error: .*(Not authorized|Bad username or password)/);
    await poll(
      async () =>
        (await api(info.httpUrl, admin, 'GET', `/api/hosts/${agentId}/samples?limit=5&order=desc`)).body?.samples?.some(
          (x: { ts: number }) => x.ts > since,
        ),
      90_000,
      'a sample after the rotation',
    );
    // delivered once: a later reconnect does not rotate again
    await agent.kill('SIGTERM');
    await poll(async () => (await host())?.online === false, 90_000, 'the agent offline');
    startAgent();
    await poll(async () => (await host())?.online === true, 90_000, 'the agent online again');
    await poll(async () => (await agentStatus(stateDir))?.link?.state === 'connected', 90_000, 'the agent connected');
    assert.equal(creds().secret, rotated.secret);
    assert.equal(await counter('broker.auth.secret-rotated'), 1);
  });
});
