import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FEATURE_SCHEMA_VERSION } from '../../contract/features/schema.ts';
import {
  adminToken,
  agentStatus,
  api,
  createEnrollmentToken,
  homeostatAgent,
  poll,
  runAgent,
  startServer,
  type Proc,
  type ServerInfo,
} from './harness.ts';

describe('enrollment and first samples, end to end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-enroll-'));
  const dataDir = join(dir, 'cp');
  const stateDir = join(dir, 'agent');
  let server: { proc: Proc; info: ServerInfo };
  let token: string;
  const procs: Proc[] = [];
  before(async () => {
    server = await startServer(dataDir);
    procs.push(server.proc);
    token = await adminToken(dataDir);
  });
  after(async () => {
    for (const p of procs.reverse()) await p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a bad token with the control plane's reason and stores nothing", async () => {
    const r = await runAgent([
      'enroll',
      '--server',
      server.info.httpUrl,
      '--token',
      'het_nope.nope',
      '--state-dir',
      stateDir,
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: enrollment at http:\/\/127\.0\.0\.1:\d+ failed \(HTTP 401\): .*token/m);
    assert.throws(() => statSync(join(stateDir, 'credentials.json')));
  });

  it("enrolls with a token, stores 0600 credentials, and the agent's real readings reach the DB and the API", async () => {
    const enrollToken = await createEnrollmentToken(server.info.httpUrl, token, { zone: 'test' });
    const r = await runAgent([
      'enroll',
      '--server',
      server.info.httpUrl,
      '--token',
      enrollToken,
      '--state-dir',
      stateDir,
      '--labels',
      'role=db,zone=lab',
    ]);
    assert.equal(r.code, 0, r.stderr);
    // N3: the token's label wins, and the agent says so instead of dropping the request silently.
    assert.equal(r.stderr, "warning: label zone: the enrollment token sets 'test', the requested 'lab' is not applied");
    const agentId = /enrolled as (\S+)/.exec(r.stdout)![1]!;
    assert.equal(statSync(stateDir).mode & 0o777, 0o700);
    assert.equal(statSync(join(stateDir, 'credentials.json')).mode & 0o777, 0o600);
    const creds = JSON.parse(readFileSync(join(stateDir, 'credentials.json'), 'utf8'));
    assert.equal(creds.agentId, agentId);
    assert.equal(creds.mqttUrl, server.info.mqttUrl);
    assert.match(creds.publicKey, /BEGIN PUBLIC KEY/);
    assert.deepEqual(creds.labels, { role: 'db', zone: 'test' });

    // A used token cannot enroll again; the same state dir refuses a second identity without --force.
    const again = await runAgent([
      'enroll',
      '--server',
      server.info.httpUrl,
      '--token',
      enrollToken,
      '--state-dir',
      stateDir,
    ]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already enrolled as/);

    const agent = homeostatAgent(['run', '--state-dir', stateDir, '--cycle-seconds', '0.2', '--log-level', 'warn']);
    procs.push(agent);
    const samples = await poll(
      async () => {
        const res = await api(server.info.httpUrl, token, 'GET', `/api/hosts/${agentId}/samples`);
        return res.status === 200 && res.body.samples.length >= 3 ? res.body.samples : null;
      },
      60_000,
      'three samples through the API',
    );
    const first = samples[0];
    assert.equal(first.schema, FEATURE_SCHEMA_VERSION);
    assert.equal(typeof first.features['mem.used_pct'], 'number', 'real /proc reading');
    assert.ok(first.features['mem.used_pct'] > 0 && first.features['mem.used_pct'] < 100);
    assert.equal(first.collectors.cpu, 'ok');
    assert.equal(first.collectors.memory, 'ok');
    assert.match(first.scores.anomaly.model, /^anomaly-multi@/, 'the inference stage scored the sample');
    assert.ok(first.scores.anomaly.score >= 0 && first.scores.anomaly.score <= 1);
    const events = (await api(server.info.httpUrl, token, 'GET', `/api/hosts/${agentId}/events`)).body.events;
    assert.ok(
      events.some((e: { type: string }) => e.type === 'agent.started'),
      'agent.started audited upstream',
    );
    // systeminformation gathers the inventory off the cycle path: it may land after the first samples
    const host = await poll(
      async () => {
        const h = (await api(server.info.httpUrl, token, 'GET', `/api/hosts/${agentId}`)).body;
        return h?.inventory ? h : null;
      },
      60_000,
      'inventory published after connect',
    );
    assert.ok(host.inventory);

    const status = await runAgent(['status', '--state-dir', stateDir, '--json']);
    const st = JSON.parse(status.stdout);
    assert.equal(st.identity.agentId, agentId);
    assert.equal(st.identity.secret, undefined, 'status never prints the secret');
    assert.equal(st.running, true);
    assert.equal(st.status.link.state, 'connected');

    // SIGTERM drains: exit 0, nothing left in the outbox, status says stopped.
    assert.equal(await agent.kill('SIGTERM'), 0);
    const final = await agentStatus(stateDir);
    assert.equal(final.state, 'stopped');
    assert.equal(final.outbox.depth, 0);
  });
});
