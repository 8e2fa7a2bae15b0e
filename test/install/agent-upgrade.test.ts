/**
 * Agent upgrades in waves with automatic rollback, at the boundary: a real control plane (child process), three real
 * signed artifacts built by packaging/package-agent.mjs from one agent build (version A and B; C is the same
 * artifact with an agent entry that exits at start, signed like the others), real HTTP downloads, and the installed
 * agent run from a temp install root by a restart-on-exit supervisor (test/support/supervisor.ts).
 *
 * No systemd here: the supervisor stands in for `Restart=always` (restart delay 1 s, the unit's RestartSec is 5 s);
 * the agent's exit codes 75/76 and its launcher are the same under both. The same rollouts with the real unit under a
 * booted systemd (`systemd-nspawn -b`) are in test/install/nspawn-systemd.test.ts; this one needs no root.
 *
 * A → B: the rollout sends the signed release, the agent verifies, unpacks beside A, switches `current`, exits 75, the
 * supervisor starts B, B confirms its health (cycles + connected + ack) and reports `agent.upgraded`; the rollout
 * completes. B → C: C exits at start; the launcher's upgrade guard counts its starts and switches back to B after
 * `maxAttempts`, B reports `agent.rolled-back`, and the rollout's health gate halts it. Prints the two figures: publish
 * → running the new version, and publish → rolled back (with `uptime`).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  adminToken,
  api,
  createEnrollmentToken,
  poll,
  ROOT,
  startServer,
  type Proc,
  type ServerInfo,
} from '../integration/harness.ts';
import { supervise, type Supervisor } from '../support/supervisor.ts';

const execFileP = promisify(execFile);
const skip = process.platform !== 'linux' ? 'the agent artifact is built on Linux only' : false;

const A = '9.0.0-a';
const B = '9.0.0-b';
const C = '9.0.0-c';

describe('agent upgrades: A → B, then broken C rolls back to B by itself', { skip }, () => {
  const host = mkdtempSync(join(tmpdir(), 'homeostat-upgrade-'));
  const dataDir = join(host, 'cp');
  const downloads = join(dataDir, 'downloads');
  const root = join(host, 'opt', 'homeostat', 'agent');
  const stateDir = join(host, 'state');
  const cfg = join(host, 'agent.yaml');
  let server: { proc: Proc; info: ServerInfo };
  let token = '';
  let agentId = '';
  let sup: Supervisor | undefined;
  const figures: string[] = [];

  const pkg = async (version: string, agentDir: string) => {
    const { stdout } = await execFileP(
      process.execPath,
      [
        join(ROOT, 'packaging/package-agent.mjs'),
        '--out',
        downloads,
        '--data-dir',
        dataDir,
        '--version',
        version,
        '--agent-dir',
        agentDir,
        // the fastest compression: three 100 MB runtimes are packed per run on a shared 2-core machine
        '--gzip-level',
        '1',
        '--quiet',
      ],
      { cwd: ROOT, timeout: 240_000, env: { ...process.env, NODE_OPTIONS: '' } },
    );
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as { file: string; sha256: string; size: number };
  };
  const hostRecord = async () => (await api(server.info.httpUrl, token, 'GET', `/api/hosts/${agentId}`)).body;
  const events = async (type: string) => {
    const r = await api(server.info.httpUrl, token, 'GET', `/api/hosts/${agentId}/events?limit=500`);
    return ((r.body?.events ?? []) as { type: string; message?: string; data: Record<string, unknown> }[]).filter(
      (e) => e.type === type,
    );
  };
  const rollout = async (id: string) => (await api(server.info.httpUrl, token, 'GET', `/api/rollouts/${id}`)).body;
  const log = () => sup?.lines.slice(-60).join('\n') ?? '';
  /** The host is online and reports running `version` (its presence). */
  const runs = (version: string, ms: number) =>
    waitFor(
      async () => {
        const h = await hostRecord();
        return h?.online && h.agentVersion === version;
      },
      ms,
      `the host online running ${version}`,
    );
  /** The rollout reached an end state; returns it. */
  const finished = (id: string, ms: number) =>
    waitFor(
      async () => {
        const ro = await rollout(id);
        return ['completed', 'halted', 'rolled-back'].includes(ro.status) ? ro : null;
      },
      ms,
      `rollout ${id} finished`,
    );
  /** Polls every 250 ms; a timeout fails with the agent's last output lines. */
  const waitFor = <T>(fn: () => Promise<T>, ms: number, what: string) =>
    poll(fn, ms, what, 250).catch((err: Error) => assert.fail(`${err.message}\nagent output:\n${log()}`));

  before(async () => {
    const t0 = Date.now();
    const build = join(host, 'build');
    // the control plane starts (and creates its signing key) while the agent is built; then the three artifacts are
    // packaged side by side with that key
    const [started] = await Promise.all([
      startServer(dataDir),
      execFileP(process.execPath, [join(ROOT, 'agent/build.mjs'), '--outdir', build, '--quiet'], {
        cwd: ROOT,
        timeout: 240_000,
      }),
    ]);
    server = started;
    // C: the same build whose agent entry exits at start (a release broken at import), signed like the others
    const broken = join(host, 'broken');
    cpSync(build, broken, { recursive: true });
    writeFileSync(
      join(broken, 'homeostat-agent.mjs'),
      "#!/usr/bin/env node\nprocess.stderr.write('broken release: exits at start\\n');\nprocess.exit(3);\n",
    );
    await Promise.all([pkg(A, build), pkg(B, build), pkg(C, broken)]);
    figures.push(`before: start, build and package ${Math.round((Date.now() - t0) / 1000)} s`);
    token = await adminToken(dataDir);
    // install A into the temp root as install.sh does: <root>/<version> and a relative `current` link
    mkdirSync(join(root, '.unpack'), { recursive: true });
    await execFileP('tar', [
      '-xzf',
      join(downloads, `homeostat-agent-${A}-linux-x64.tar.gz`),
      '-C',
      join(root, '.unpack'),
    ]);
    renameSync(join(root, '.unpack', `homeostat-agent-${A}`), join(root, A));
    rmSync(join(root, '.unpack'), { recursive: true });
    const { symlinkSync } = await import('node:fs');
    symlinkSync(A, join(root, 'current'));
    writeFileSync(
      cfg,
      [
        `stateDir: ${stateDir}`,
        'cycleSeconds: 1',
        'drainSeconds: 1',
        'logLevel: info',
        'upgrade:',
        `  installRoot: ${root}`,
        '  healthCycles: 3',
        '  windowSeconds: 60',
        '  maxAttempts: 2',
        '',
      ].join('\n'),
    );
    const enrollToken = await createEnrollmentToken(server.info.httpUrl, token, { ring: 'canary' });
    const bin = join(root, 'current', 'bin', 'homeostat-agent');
    await execFileP(bin, ['enroll', '--server', server.info.httpUrl, '--token', enrollToken, '--config', cfg], {
      timeout: 60_000,
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    agentId = (JSON.parse(readFileSync(join(stateDir, 'credentials.json'), 'utf8')) as { agentId: string }).agentId;
    sup = supervise(bin, ['run', '--config', cfg], { restartMs: 1000, env: { NODE_OPTIONS: '' } });
  });

  after(async () => {
    await sup?.stop();
    await server?.proc.kill();
    for (const f of figures) process.stdout.write(`# ${f}\n`);
    rmSync(host, { recursive: true, force: true });
  });

  it('runs A from the install root, and lists A, B and C as agent versions', async () => {
    await runs(A, 60_000);
    const list = await api(server.info.httpUrl, token, 'GET', '/api/agent-versions');
    assert.equal(list.status, 200);
    const versions = (list.body.versions as { version: string }[]).map((v) => v.version);
    for (const v of [A, B, C]) assert.ok(versions.includes(v), `${v} listed: ${versions.join(', ')}`);
    assert.equal(list.body.running[A], 1);
  });

  it('refuses an upload whose signature is not by this control plane', async () => {
    // gzip magic and some bytes: the signature is checked before anything else is done with it
    const bytes = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(4096, 1)]);
    const form = new FormData();
    form.append('file', new Blob([bytes]), 'homeostat-agent-9.0.0-x-linux-x64.tar.gz');
    form.append('signature', new Blob([Buffer.alloc(64, 7)]), 'x.sig');
    const res = await fetch(`${server.info.httpUrl}/api/agent-versions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    assert.equal(res.status, 400);
    assert.match(JSON.stringify(await res.json()), /does not verify with this control plane's key/);
  });

  it('rolls B out: the agent switches, restarts into B, confirms and the rollout completes', async () => {
    const t0 = Date.now();
    const r = await api(server.info.httpUrl, token, 'POST', `/api/agent-versions/${B}/publish`, {
      selector: 'ring=canary',
      soak: '3s',
      ackTimeout: '120s',
      // one host is its own baseline: an anomaly episode while it restarts is not what this test is about
      thresholds: { minDelta: 10 },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.kind, 'agent');
    assert.equal(r.body.previousVersion, A);
    await runs(B, 120_000);
    const running = Date.now() - t0;
    const upgraded = await waitFor(async () => (await events('agent.upgraded'))[0], 90_000, 'agent.upgraded');
    const confirmed = Date.now() - t0;
    assert.deepEqual([upgraded.data['from'], upgraded.data['to']], [A, B]);
    assert.ok(
      sup!.exits.some((e) => e.code === 75),
      'A exited 75 after switching',
    );
    assert.equal(readlinkSync(join(root, 'current')), B);
    assert.equal(readlinkSync(join(root, 'previous')), A);
    // the control plane stores what the agent's presence says: B, previous A, this machine's platform
    const h = await hostRecord();
    assert.deepEqual([h.agentVersion, h.previousAgentVersion, h.agentPlatform], [B, A, 'linux-x64']);
    const list = await api(server.info.httpUrl, token, 'GET', '/api/agent-versions');
    assert.equal(list.body.previous[A], 1);
    const done = await finished(r.body.id, 120_000);
    assert.equal(
      done.status,
      'completed',
      `${JSON.stringify(done.history)}\nhost: ${JSON.stringify(await hostRecord())}\nexits: ${JSON.stringify(sup!.exits)}\n${log()}`,
    );
    const status = await execFileP(join(root, 'current', 'bin', 'homeostat-agent'), ['status', '--config', cfg], {
      env: { ...process.env, NODE_OPTIONS: '' },
    }).catch((e: { stdout: string }) => e);
    assert.match(
      status.stdout,
      new RegExp(`version: +${B.replace(/\./g, '\\.')} \\(previous ${A.replace(/\./g, '\\.')}\\)`),
    );
    figures.push(
      `publish ${B} -> agent running it: ${(running / 1000).toFixed(1)} s (health confirmed ${(confirmed / 1000).toFixed(1)} s; supervisor restart delay 1 s) load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  });

  it('rolls broken C out: the host switches back to B by itself, reports it, and the rollout halts', async () => {
    const t0 = Date.now();
    const exitsBefore = sup!.exits.length;
    const r = await api(server.info.httpUrl, token, 'POST', `/api/agent-versions/${C}/publish`, {
      selector: 'ring=canary',
      soak: '2s',
      ackTimeout: '120s',
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.previousVersion, B);
    const back = await waitFor(async () => (await events('agent.rolled-back'))[0], 120_000, 'agent.rolled-back');
    const rolledBack = Date.now() - t0;
    assert.deepEqual([back.data['from'], back.data['to']], [C, B]);
    assert.match(String(back.data['reason']), /started 2 time\(s\) without confirming/);
    const exits = sup!.exits.slice(exitsBefore).map((e) => e.code);
    assert.deepEqual(exits.slice(0, 3), [75, 3, 3], `B switched (75), C exited at start twice (3): ${exits}`);
    assert.equal(readlinkSync(join(root, 'current')), B);
    await runs(B, 60_000);
    const done = await finished(r.body.id, 120_000);
    assert.equal(done.status, 'halted', JSON.stringify(done.history));
    assert.match(JSON.stringify(done.history), /failed to apply the new version/);
    const h = await hostRecord();
    assert.ok(
      (h.stateErrors as string[]).some((e) => e.includes(`agent ${C} rolled back to ${B}`)),
      h.stateErrors,
    );
    // the one-click rollback other rollouts offer: sends B (running already: the agent keeps it)
    const rb = await api(server.info.httpUrl, token, 'POST', `/api/rollouts/${r.body.id}/rollback`);
    assert.equal(rb.status, 201, JSON.stringify(rb.body));
    assert.equal(rb.body.version, B);
    figures.push(
      `publish ${C} (exits at start) -> rolled back to ${B} and reported: ${(rolledBack / 1000).toFixed(1)} s (maxAttempts 2, supervisor restart delay 1 s) load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  });
});
