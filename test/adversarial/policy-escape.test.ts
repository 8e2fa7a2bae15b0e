/**
 * Policy escapes (issue 13, P1-P6): what an operator-role user can publish must not run code outside the allow-list,
 * freeze an agent or touch files and processes it must not. Each finding is refused twice: by the control plane at
 * publish (400 with the agent's own lint messages, so authors learn before a rollout) and again on the agent, which
 * is asserted here by calling the real actions directly, as a set from an older or compromised server would reach
 * them. Plus: an agent whose cached last-known-good set is unusable starts without it, says why, connects, and takes
 * a fix from the control plane.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, copyFile, link, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { healConfigSchema, loadHealConfig } from '../../agent/heal/config.ts';
import { executeAction } from '../../agent/heal/execute.ts';
import type { PlannedAction } from '../../agent/heal/decision.ts';
import type { ActionContext } from '../../agent/heal/actions/context.ts';
import { SCRIPT_BASE_ENV } from '../../agent/heal/actions/run-script.ts';
import { createSupervisedServiceManager } from '../../agent/heal/services/supervised.ts';
import { createHealer } from '../../agent/heal/healer.ts';
import { readCmdlines } from '../../agent/heal/cmdline.ts';
import { createHealStage } from '../../agent/heal/heal-stage.ts';
import { createProcessCollector } from '../../agent/collect/collectors/processes.ts';
import { createSysFs } from '../../agent/collect/sysfs.ts';
import { pino } from 'pino';
import { parse as parseYaml } from 'yaml';
import { processMatches } from '../../agent/heal/evaluate.ts';
import type { ProcessFact } from '../../agent/heal/types.ts';
import { actionSchema, parsePolicyDocument } from '../../contract/policy/schema.ts';
import { formatLintIssues, lintPolicySet } from '../../contract/policy/lint.ts';
import { startFleet, until, type FleetRig } from '../integration/fleet-harness.ts';
import { api } from '../support/control-plane.ts';
import { homeostatAgent, type Proc } from '../integration/harness.ts';

const root = await mkdtemp(join(tmpdir(), 'policy-escape-'));
const allowed = join(root, 'allowed');
const outside = join(root, 'outside');
const scripts = join(root, 'scripts');
await Promise.all([mkdir(allowed), mkdir(outside), mkdir(scripts)]);
after(() => rm(root, { recursive: true, force: true }));

function ctx(extra: Partial<ReturnType<typeof healConfigSchema.parse>> = {}): ActionContext {
  const config = healConfigSchema.parse({
    stateDir: root,
    allowedActions: ['rotate-log', 'truncate-log', 'run-script', 'kill-process'],
    allowedDirs: [allowed],
    scriptsDir: scripts,
    scriptEnv: ['WHO'],
  });
  return {
    config: { ...config, ...extra },
    serviceManager: createSupervisedServiceManager({ services: [], stateDir: root }),
    now: Date.now,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    kill: (pid, sig) => process.kill(pid, sig),
    selfPid: process.pid,
    procRoot: '/proc',
    audit: { signalled() {}, touched() {} },
  };
}
const plan = (spec: unknown, targets?: PlannedAction['targets']): PlannedAction => ({
  id: 'i/1/0',
  policy: 'p',
  incident: 'i',
  attempt: 1,
  index: 0,
  spec: actionSchema.parse(spec),
  targets,
});
const policyYaml = (action: string, when = '{ service: web }') =>
  `policies:\n  - name: escape\n    when: ${when}\n    do: [ ${action} ]\n`;

// One control plane (with the fleet module) for every publish-time check.
let rig: FleetRig;
before(async () => {
  rig = await startFleet();
});
after(() => rig.close());
let n = 0;
/** POSTs a policy; returns the status and the error text. */
async function publish(source: string): Promise<{ status: number; text: string }> {
  const r = await api(rig.t, 'POST', '/api/policies', { name: `escape-${++n}`, source });
  return { status: r.status, text: JSON.stringify(r.body) };
}
/** The agent's own lint of the same document, formatted as it reports it. */
const agentLint = (source: string) => formatLintIssues(lintPolicySet(parsePolicyDocument(source, 'yaml')));

describe('P1: run-script env cannot escape the allow-list', () => {
  const ESCAPES: Record<string, string> = {
    BASH_ENV: '$(touch pwned)',
    ENV: '/tmp/x',
    PATH: '/tmp/evil:/usr/bin',
    LD_PRELOAD: '/tmp/evil.so',
    IFS: '/',
    SHELLOPTS: 'xtrace',
  };
  for (const [name, value] of Object.entries(ESCAPES))
    it(`P1: publishing env ${name} is a 400 naming it, with the agent's message`, async () => {
      const src = policyYaml(`{ type: run-script, script: ok.sh, env: { ${name}: '${value}' } }`);
      const r = await publish(src);
      assert.equal(r.status, 400, r.text);
      assert.match(r.text, new RegExp(`environment variable '${name}' is never passed to scripts`));
      assert.ok(r.text.includes(agentLint(src).split('; ')[0]!), 'the server words it as the agent does');
    });

  it('P1: the host cannot allow them either (heal.scriptEnv refuses BASH_ENV, LD_PRELOAD, PATH)', () => {
    for (const name of ['BASH_ENV', 'LD_PRELOAD', 'PATH', 'IFS', 'SHELLOPTS', 'ENV'])
      assert.throws(() => loadHealConfig({ stateDir: root, scriptEnv: [name] }), /never passed to scripts/, name);
  });

  it('P1: on the agent, a set that slipped past the server is refused and the script never sees the variable', async () => {
    await writeFile(join(scripts, 'date.sh'), '#!/bin/bash\ndate >/dev/null\nenv\n');
    await chmod(join(scripts, 'date.sh'), 0o755);
    for (const [name, value] of Object.entries(ESCAPES)) {
      const r = await executeAction(
        plan({ type: 'run-script', script: 'date.sh', env: { [name]: value.replace('pwned', join(root, 'pwned')) } }),
        ctx(),
      );
      assert.equal(r.status, 'refused', `${name}: ${r.detail}`);
    }
    assert.equal(existsSync(join(root, 'pwned')), false);
  });

  it("P1: the agent's own environment is not inherited: a fixed minimal env plus the allowed names only", async () => {
    const evil = join(root, 'bash-env.sh');
    await writeFile(evil, `touch ${join(root, 'inherited-pwned')}\n`);
    const saved = { BASH_ENV: process.env.BASH_ENV, SHELLOPTS: process.env.SHELLOPTS };
    process.env.BASH_ENV = evil; // as if the agent's unit file or a parent shell had it
    try {
      const r = await executeAction(plan({ type: 'run-script', script: 'date.sh', env: { WHO: 'heal' } }), ctx());
      assert.equal(r.status, 'done', r.detail);
      const env = Object.fromEntries(
        String(r.data?.stdout)
          .trim()
          .split('\n')
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      // bash adds PWD, SHLVL and _ itself; everything else is exactly the fixed base plus WHO
      for (const k of ['PWD', 'SHLVL', '_']) delete env[k];
      assert.deepEqual(env, { ...SCRIPT_BASE_ENV, WHO: 'heal' });
      assert.equal(existsSync(join(root, 'inherited-pwned')), false, 'BASH_ENV of the agent reached the script');
    } finally {
      if (saved.BASH_ENV === undefined) delete process.env.BASH_ENV;
      else process.env.BASH_ENV = saved.BASH_ENV;
    }
  });
});

describe('P2: a regex cannot freeze an agent', () => {
  const FREEZE = '^(.*){100}x$';
  it('P2: the exact regex of the finding is refused at publish, with the agent message', async () => {
    const src = policyYaml('{ type: notify, message: hi }', `{ process: { cmdline: '${FREEZE}' } }`);
    const r = await publish(src);
    assert.equal(r.status, 400, r.text);
    assert.match(r.text, /regex refused/);
    assert.ok(r.text.includes(agentLint(src)), `${r.text} vs ${agentLint(src)}`);
  });

  it('P2: nested quantifiers, overlapping alternatives and backreferences are refused too', () => {
    for (const re of ['(a+)+$', '(a|ab)*c', '(x*)*y', '(.)\\1', '(?=a)b', 'a{1000}'])
      assert.match(
        agentLint(policyYaml('{ type: notify, message: hi }', `{ process: { cmdline: '${re}' } }`)),
        /regex refused/,
        re,
      );
  });

  it('P2: the agent refuses to activate such a set and keeps the previous one', async () => {
    const stateDir = await mkdtemp(join(root, 'healer-'));
    const h = await createHealer({ config: loadHealConfig({ stateDir, allowedActions: ['notify'] }) });
    try {
      assert.equal(h.applyPolicySet(policyYaml('{ type: notify, message: hi }'), 'yaml').ok, true);
      const bad = h.applyPolicySet(
        policyYaml('{ type: notify, message: hi }', `{ process: { cmdline: '${FREEZE}' } }`),
        'yaml',
      );
      assert.equal(bad.ok, false);
      assert.match(bad.events[0]!.message, /regex refused/);
      assert.equal(h.policySet()?.policies[0]?.when.kind, 'service', 'the previous set still runs');
    } finally {
      await h.close();
    }
  });

  it('P2: matching is linear: an allowed pattern over a huge command line costs little (input capped)', () => {
    const p = { pid: 2, name: 'java', runtimeS: 0, cpuPct: 0, rssBytes: 0, cmdline: `${'a'.repeat(1_000_000)}!` };
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) processMatches(p, { cmdline: 'a.*a.*a.*b' });
    // generous: a backtracking engine takes minutes here; RE2 over the first 4 KiB takes milliseconds
    assert.ok(performance.now() - t0 < 10_000, `${performance.now() - t0} ms`);
  });
});

describe('P3: cmdline conditions see the command line, not the comm name', () => {
  it('P3: a `node` process whose argv says batch-job matches cmdline batch-job (the comm name alone would not)', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '--', 'batch-job-marker']);
    try {
      await until(() => existsSync(`/proc/${child.pid}/cmdline`), 'the process exists');
      const procs: ProcessFact[] = [{ pid: child.pid!, name: 'node', runtimeS: 0, cpuPct: 0, rssBytes: 0 }];
      // before the agent reads /proc/<pid>/cmdline, only the comm is known: no match
      assert.equal(processMatches(procs[0]!, { cmdline: 'batch-job' }), false);
      await until(() => readCmdlines('/proc', procs) > 0 && procs[0]!.cmdline !== undefined, 'cmdline read');
      assert.match(procs[0]!.cmdline!, /setInterval.* -- batch-job-marker$/);
      assert.equal(processMatches(procs[0]!, { cmdline: 'batch-job' }), true);
      assert.equal(processMatches(procs[0]!, { name: 'node', cmdline: 'batch-job' }), true);
    } finally {
      child.kill();
    }
  });
});

describe('P3: process conditions see every process', () => {
  it('P3: an idle process outside the top 5 by CPU and RSS matches by cmdline through the real collector and heal stage', async () => {
    // a small shell (about 1 MB, no CPU): never among the top 5; `; :` keeps sh from exec'ing sleep in its place
    const child = spawn('sh', ['-c', 'sleep 300; :', 'p3-batch-job'], { stdio: 'ignore', detached: true });
    const stateDir = await mkdtemp(join(root, 'p3-'));
    const healer = await createHealer({ config: loadHealConfig({ stateDir, allowedActions: ['notify'] }) });
    try {
      await until(() => existsSync(`/proc/${child.pid}/cmdline`), 'the process exists');
      const applied = healer.applyPolicySet(
        policyYaml('{ type: notify, message: batch job seen }', "{ process: { cmdline: 'p3-batch-job' } }"),
        'yaml',
      );
      assert.equal(applied.ok, true);
      const processes = await createProcessCollector().collect({ sysfs: createSysFs('/') } as never);
      const ranked = new Set([...processes.topCpu, ...processes.topMem].map((p) => p.pid));
      assert.ok(processes.all!.length > 10, `only ${processes.all!.length} processes`);
      assert.equal(ranked.has(child.pid!), false, 'the idle process is not among the top 5 by CPU or RSS');
      const events: { type: string; data: Record<string, unknown> }[] = [];
      const stage = createHealStage(healer);
      await stage.run(
        { ts: Date.now(), schema: 'x', features: {}, collectors: {}, facts: { processes } },
        { now: Date.now(), emit: (e) => events.push(e as never), logger: pino({ level: 'silent' }) },
      );
      assert.ok(
        events.some((e) => e.type === 'heal.matched'),
        `no match: ${JSON.stringify(events.map((e) => e.type))}`,
      );
    } finally {
      process.kill(-child.pid!, 'SIGKILL'); // sh and its sleep
      await healer.close();
    }
  });
});

describe('P4: truncate-log and rotate-log refuse hard links', () => {
  for (const type of ['truncate-log', 'rotate-log'])
    it(`P4: ${type} of a hard link in an allowed dir to a file outside it is refused; the file is untouched`, async () => {
      const target = join(outside, `${type}-secret.log`);
      await writeFile(target, 'keep me\n');
      const linked = join(allowed, `${type}-app.log`);
      await link(target, linked);
      const r = await executeAction(plan({ type, path: linked }), ctx());
      assert.equal(r.status, 'refused', r.detail);
      assert.match(r.detail, /2 hard links/);
      assert.equal(await readFile(target, 'utf8'), 'keep me\n');
      assert.equal(existsSync(`${linked}.1`), false);
    });

  it('P4: an ordinary log in the allowed dir is still truncated', async () => {
    await writeFile(join(allowed, 'plain.log'), 'x'.repeat(100));
    const r = await executeAction(plan({ type: 'truncate-log', path: join(allowed, 'plain.log') }), ctx());
    assert.equal(r.status, 'done', r.detail);
  });
});

describe('P5: the server refuses unsafe policies at publish, with the messages the agent would use', () => {
  const CASES: [string, string, RegExp][] = [
    [
      '.. in a free-disk dir',
      "{ type: free-disk, dirs: ['/var/log/../../etc'], globs: ['*'], maxBytes: 1GiB }",
      /must not contain '\.\.'/,
    ],
    [
      '.. in a glob',
      "{ type: free-disk, dirs: ['/var/tmp'], globs: ['../*'], maxBytes: 1GiB }",
      /must be relative and contain no/,
    ],
    ['.. in a log path', "{ type: truncate-log, path: '/var/log/../../etc/shadow' }", /must not contain '\.\.'/],
    [
      'an absolute script path',
      "{ type: run-script, script: '/tmp/evil.sh' }",
      /must be a name inside heal.scriptsDir/,
    ],
    ['.. in a script name', "{ type: run-script, script: '../evil.sh' }", /must be a name inside heal.scriptsDir/],
    ['a protected process', '{ type: kill-process, match: { name: sshd } }', /process 'sshd' is protected/],
    ['a nested-quantifier regex', "{ type: kill-process, match: { cmdline: '(a+)+b' } }", /regex refused/],
    [
      'a glob with many stars (it froze an agent for over 30 s on one file name)',
      "{ type: free-disk, dirs: ['/var/tmp'], globs: ['*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?x'], maxBytes: 1GiB }",
      /glob refused: 16 '\*' wildcards; at most 2/,
    ],
    ['an extglob process name', "{ type: kill-process, match: { name: '+(a|aa)+b' } }", /glob refused: extglob/],
  ];
  for (const [what, action, message] of CASES)
    it(`P5: ${what} is a 400`, async () => {
      const src = policyYaml(action);
      const r = await publish(src);
      assert.equal(r.status, 400, r.text);
      assert.match(r.text, message);
      assert.ok(r.text.includes(agentLint(src)), `${r.text} vs ${agentLint(src)}`);
    });

  it('P5: a clean policy is accepted', async () => {
    assert.equal((await publish(policyYaml('{ type: restart-service, service: web }'))).status, 201);
  });

  it('P5: a version stored before a check existed is refused at publish with the same message; nothing is sent', async () => {
    // Written straight to the repository, as a version saved by an older control plane without today's lint.
    const src = policyYaml("{ type: run-script, script: '/tmp/evil.sh' }");
    await rig.t.cp.store.policies.createSet('stored-before-lint', {
      document: parseYaml(src) as Record<string, unknown>,
      source: src,
      format: 'yaml',
      author: 'old-admin',
      comment: null,
      diff: [],
      createdAt: new Date(rig.clock.t),
    });
    const r = await api(rig.t, 'POST', '/api/policies/stored-before-lint/publish', { version: 1, percents: [100] });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    const back = await api(rig.t, 'POST', '/api/policies/stored-before-lint/rollback', { version: 1 });
    assert.equal(back.status, 400, JSON.stringify(back.body));
    const text = JSON.stringify(r.body);
    assert.match(text, /stored-before-lint@1 \(saved before today's checks; save a fixed version\)/);
    assert.ok(text.includes(agentLint(src)), `${text} vs ${agentLint(src)}`);
    const rollouts = await api(rig.t, 'GET', '/api/rollouts?subject=stored-before-lint');
    assert.deepEqual(rollouts.body.rollouts, []);
  });
});

describe('P6: system daemons are protected by default', () => {
  for (const name of ['systemd-journald', 'dbus-daemon', 'containerd', 'dockerd', 'kubelet'])
    it(`P6: kill-process of ${name} is refused at publish`, async () => {
      const r = await publish(policyYaml(`{ type: kill-process, match: { name: ${name} } }`));
      assert.equal(r.status, 400, r.text);
      assert.match(r.text, new RegExp(`process '${name}' is protected`));
    });

  it('P6: a real process named containerd is not signalled, with an empty heal.protectedProcesses', async () => {
    const bin = join(root, 'containerd');
    await copyFile('/bin/sleep', bin);
    await chmod(bin, 0o755);
    // started through a shell that exits, so it is no child of this process (the agent's children are protected)
    const sh = spawn('sh', ['-c', `"${bin}" 300 >/dev/null 2>&1 & echo $!`]);
    const pid = Number(
      (await new Promise<string>((r) => sh.stdout.once('data', (b: Buffer) => r(b.toString())))).trim(),
    );
    try {
      await until(async () => (await readFile(`/proc/${pid}/comm`, 'utf8')).trim() === 'containerd', 'comm set');
      const r = await executeAction(
        plan({ type: 'kill-process', grace: '100ms' }, [{ pid, name: 'containerd', runtimeS: 0 }]),
        ctx({ protectedProcesses: [] }),
      );
      assert.equal(r.status, 'refused', r.detail);
      assert.match(r.detail, /'containerd' .*is protected/);
      assert.equal(existsSync(`/proc/${pid}`), true, 'still running');
    } finally {
      process.kill(pid, 'SIGKILL');
    }
  });
});

describe('an unusable cached last-known-good set at agent start-up', () => {
  const procs: Proc[] = [];
  after(async () => {
    for (const p of procs) await p.kill('SIGKILL');
  });

  it('P2 (cache): the agent starts without it, says why, connects and sends samples, and applies a fix from the control plane', async () => {
    const stateDir = join(root, 'agent-state');
    const tok = await api(rig.t, 'POST', '/api/tokens', { labels: { role: 'cache' } });
    assert.equal(tok.status, 201);
    const enrolled = homeostatAgent([
      'enroll',
      '--server',
      rig.t.urls.httpUrl,
      '--token',
      tok.body.token,
      '--state-dir',
      stateDir,
    ]);
    procs.push(enrolled);
    assert.equal(await enrolled.exited, 0, enrolled.stderr.join('\n'));
    const agentId = /enrolled as (\S+)/.exec(enrolled.stdout.join('\n'))![1]!;
    // What an older agent cached: the exact P2 regex (it pinned the event loop before connecting).
    mkdirSync(join(stateDir, 'heal'), { recursive: true });
    writeFileSync(
      join(stateDir, 'heal', 'heal-policies.json'),
      JSON.stringify({
        text: policyYaml('{ type: notify, message: hi }', "{ process: { cmdline: '^(.*){100}x$' } }"),
        format: 'yaml',
        appliedAt: Date.now(),
      }),
    );
    const agent = homeostatAgent(['run', '--state-dir', stateDir, '--cycle-seconds', '1', '--log-level', 'warn']);
    procs.push(agent);
    await until(
      async () => (await api(rig.t, 'GET', `/api/hosts/${agentId}/samples`)).body?.samples?.length >= 2,
      'samples from the agent (it did not hang on its cache)',
      120_000,
    );
    const host = (await api(rig.t, 'GET', `/api/hosts/${agentId}`)).body;
    assert.equal(host.online, true, JSON.stringify(host));
    const events = await until(
      async () => {
        const ev = (await api(rig.t, 'GET', `/api/hosts/${agentId}/events`)).body?.events ?? [];
        return ev.find((e: { type: string; data: { source?: string } }) => e.type === 'heal.policy-rejected')
          ? ev
          : null;
      },
      'the agent reports why it dropped its cache',
      60_000,
    );
    const rejected = events.find((e: { type: string }) => e.type === 'heal.policy-rejected');
    assert.equal(rejected.data.source, 'cache');
    assert.match(rejected.message, /cached policy set is unusable: .*regex refused/);
    await until(
      async () =>
        ((await api(rig.t, 'GET', `/api/hosts/${agentId}`)).body.stateErrors ?? []).some((e: string) =>
          /cached policy set is unusable/.test(e),
        ),
      'state errors name the cache problem',
      60_000,
    );

    // the control plane can send a fix
    const fix = `version: fixed\n${policyYaml('{ type: notify, message: fixed }')}`;
    assert.equal((await api(rig.t, 'POST', '/api/policies', { name: 'cache-fix', source: fix })).status, 201);
    const pub = await api(rig.t, 'POST', '/api/policies/cache-fix/publish', { version: 1, selector: 'role=cache' });
    assert.equal(pub.status, 201, JSON.stringify(pub.body));
    await until(
      async () => (await api(rig.t, 'GET', `/api/hosts/${agentId}`)).body.appliedPolicyVersion === 'cache-fix@1',
      'the agent applied the fix',
      60_000,
    );
    assert.equal(await agent.kill('SIGTERM'), 0);
  });
});
