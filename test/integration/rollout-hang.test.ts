/**
 * Issue 13 (item 5), end to end: the rollout health gate fails closed against REAL processes. A `homeostat server` and
 * four `homeostat-agent run` child processes on loopback, enrolled with one label; each agent's local heal allow-list
 * (its config file, as an operator writes it) permits run-script from a scripts dir whose one script SIGSTOPs the
 * agent that ran it. A policy that runs that script whenever memory is in use (true at once on every host) is rolled
 * out in waves of 1 and 3 hosts with a 15 s soak. The test proves, through the HTTP API only:
 *
 * - the wave-1 host received and acknowledged the policy (`appliedPolicyVersion`), ran the script, and its agent is
 *   really frozen (the pid the script stopped is the agent's own, in state T) and stops sending samples, while the
 *   other hosts go on reporting;
 * - the gate fails at the end of the soak naming that host and why (offline or silent), the rollout is `halted` at
 *   wave 1 (index 0) and wave 2 is never sent: the three other hosts neither intend nor applied the policy.
 *
 * The simulated-agent version with a fake clock is test/adversarial/health-gate.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  adminToken,
  api,
  createEnrollmentToken,
  homeostatAgent,
  poll,
  runAgent,
  startServer,
  type Proc,
  type ServerInfo,
} from './harness.ts';

const AGENTS = 4;
/**
 * A short soak, shorter than the 30 s silence floor the gate used for every host: the gate now judges silence on each
 * host's own cadence (three cycles, at least 10 s: 10 s for these 1 s agents) and passes a wave only once its hosts
 * have reported at least one silence limit after it was sent (health-gate.ts silenceLimitMs, unprovenOf). Before that
 * rule a 15 s soak let the frozen host pass as alive: wave 2 was sent and every host froze.
 */
const SOAK_MS = 15_000;
const LABEL = { role: 'hang-gate' };

/** The script the policy runs: no shell stands between it and the agent (run-script spawns it directly), so its
 * parent is the agent process. It records that pid in the directory given as its argument, then freezes it. */
const HANG_SCRIPT = `#!/bin/sh
echo "$PPID" > "$1/$PPID"
kill -STOP "$PPID"
`;

/** `for: 2s` lets the agent's acknowledgement (its state message) leave before it freezes itself. */
const policy = (marks: string) => `policies:
  - name: freeze-agent
    when: { feature: mem.used_pct, op: '>', value: 0, for: 2s }
    do: [ { type: run-script, script: hang.sh, args: ['${marks}'], timeout: 30s } ]
`;

type Agent = { id: string; stateDir: string; proc: Proc | null };
type HostView = { online: boolean; appliedPolicyVersion: string | null; lastSampleAt: string | null };

/** The process state letter from /proc/<pid>/stat (T = stopped), null when the process is gone. */
function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the comm field is in parentheses and may hold spaces: the state follows the last ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null;
  } catch {
    return null;
  }
}

test('a policy that hangs its target halts the rollout at wave 1; the other hosts never get it', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'hs-rollout-hang-'));
  const dataDir = join(root, 'cp');
  const scriptsDir = join(root, 'heal.d');
  const marks = join(root, 'marks');
  mkdirSync(scriptsDir);
  mkdirSync(marks);
  writeFileSync(join(scriptsDir, 'hang.sh'), HANG_SCRIPT);
  chmodSync(join(scriptsDir, 'hang.sh'), 0o755);
  const agents: Agent[] = [];
  let server: { proc: Proc; info: ServerInfo } | null = null;
  try {
    server = await startServer(dataDir);
    const url = server.info.httpUrl;
    const token = await adminToken(dataDir);
    const host = async (id: string): Promise<HostView> => {
      const r = await api(url, token, 'GET', `/api/hosts/${id}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body as HostView;
    };

    // Enroll in parallel (each enrollment is a tsx start-up), one state dir and one config file per agent.
    const enrolled = await Promise.all(
      Array.from({ length: AGENTS }, async (_, i) => {
        const stateDir = join(root, `agent-${i}`);
        const r = await runAgent([
          'enroll',
          '--server',
          url,
          '--token',
          await createEnrollmentToken(url, token, LABEL),
          '--state-dir',
          stateDir,
        ]);
        assert.equal(r.code, 0, r.stderr);
        return { id: /enrolled as (\S+)/.exec(r.stdout)![1]!, stateDir, proc: null };
      }),
    );
    agents.push(...enrolled);
    for (const a of agents) {
      // The local allow-list has the final word: without run-script and this scripts dir the policy is refused.
      const config = join(root, `${a.id}.yaml`);
      writeFileSync(config, `heal:\n  allowedActions: [run-script, notify]\n  scriptsDir: ${scriptsDir}\n`);
      a.proc = homeostatAgent([
        'run',
        '--config',
        config,
        '--state-dir',
        a.stateDir,
        '--cycle-seconds',
        '1',
        '--log-level',
        'warn',
      ]);
    }
    // Every host is online and has been sending samples: the gate judges a host that stops by its samples.
    for (const a of agents)
      await poll(
        async () => {
          const s = await api(url, token, 'GET', `/api/hosts/${a.id}/samples?limit=5`);
          return s.status === 200 && s.body.samples.length >= 2 && (await host(a.id)).online;
        },
        120_000,
        `${a.id} online with samples`,
        250,
      );

    const created = await api(url, token, 'POST', '/api/policies', { name: 'hang', source: policy(marks) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const pub = await api(url, token, 'POST', '/api/policies/hang/publish', {
      version: 1,
      selector: `role=${LABEL.role}`,
      percents: [25, 100],
      soak: `${SOAK_MS / 1000}s`,
    });
    assert.equal(pub.status, 201, JSON.stringify(pub.body));
    const waves = pub.body.waves as string[][];
    assert.deepEqual(
      waves.map((w) => w.length),
      [1, AGENTS - 1],
      'wave 1 is exactly one host',
    );
    const target = agents.find((a) => a.id === waves[0]![0])!;
    const others = agents.filter((a) => a !== target);

    // The target acknowledged the policy before it ran it (the `for: 2s` above).
    await poll(
      async () => (await host(target.id)).appliedPolicyVersion === 'hang@1',
      120_000,
      'target acknowledged hang@1',
      250,
    );
    // The script ran on the target and froze the agent itself: the pid it stopped is the agent child's.
    const stoppedPid = await poll(
      () => {
        const files = readdirSync(marks);
        const pid = files.length ? Number(files[0]) : 0;
        return pid && procState(pid) === 'T' ? pid : 0;
      },
      120_000,
      'the script stopped its agent',
      100,
    );
    const frozenAt = Date.now();
    const sentAt = (pub.body.history as { at: number; event: string }[]).find((h) => h.event === 'wave 0 sent')!.at;
    t.diagnostic(`the target froze within ${frozenAt - sentAt} ms of the wave being sent`);
    assert.deepEqual(readdirSync(marks), [String(stoppedPid)], 'only the wave-1 host ran the script');
    assert.equal(stoppedPid, target.proc!.child.pid, "the stopped process is the target's agent");

    // Halted at the first gate, at the end of the soak (plus a polling round); a busy machine gets a generous budget.
    const rollout = await poll(
      async () => {
        const r = await api(url, token, 'GET', `/api/rollouts/${pub.body.id}`);
        return r.status === 200 && !['pending', 'soaking'].includes(r.body.status) ? r.body : null;
      },
      SOAK_MS + 120_000,
      'the rollout left soaking',
      500,
    );
    const history = rollout.history as { event: string; detail?: string }[];
    assert.equal(rollout.status, 'halted', JSON.stringify(history));
    assert.equal(rollout.wave, 0, 'stopped at wave 1');
    assert.deepEqual(
      history.filter((h) => /^wave \d+ sent$/.test(h.event)).map((h) => h.event),
      ['wave 0 sent'],
      'wave 2 was never sent',
    );
    const gate = history.find((h) => h.event === 'gate fail');
    assert.ok(gate?.detail, JSON.stringify(history));
    t.diagnostic(`gate: ${gate.detail}`);
    // Which of the two the gate reports depends on timing: the broker drops the frozen agent's session 1.5 keepalives
    // (45 s) after its last packet; before that, its samples are older than the silence limit.
    assert.match(
      (JSON.parse(gate.detail) as { reasons: string[] }).reasons.join('; '),
      new RegExp(`^1 host\\(s\\) sent the new version stopped reporting: ${target.id} (offline|silent: no sample for)`),
    );
    const halted = history.find((h) => h.event === 'halted');
    assert.match(halted?.detail ?? '', new RegExp(`${target.id} (offline|silent)`), JSON.stringify(history));

    // The target went silent when it froze; the others went on reporting through the soak, and never got the policy.
    const frozen = await host(target.id);
    assert.equal(frozen.appliedPolicyVersion, 'hang@1');
    assert.ok(
      frozen.lastSampleAt !== null && Date.parse(frozen.lastSampleAt) <= frozenAt,
      `target sampled after ${frozenAt}`,
    );
    for (const o of others) {
      const h = await host(o.id);
      assert.equal(h.online, true, `${o.id} online`);
      assert.ok(h.lastSampleAt !== null && Date.parse(h.lastSampleAt) > frozenAt, `${o.id} went on reporting`);
      assert.equal(h.appliedPolicyVersion, null, `${o.id} never applied the policy`);
    }
    const fleet = (await api(url, token, 'GET', '/api/fleet/hosts')).body.hosts as {
      id: string;
      policy: { intended: string | null; applied: string | null };
    }[];
    assert.deepEqual(
      Object.fromEntries(fleet.map((h) => [h.id, h.policy])),
      Object.fromEntries(
        agents.map((a) => [
          a.id,
          a === target ? { intended: 'hang@1', applied: 'hang@1' } : { intended: null, applied: null },
        ]),
      ),
    );
    const listed = (await api(url, token, 'GET', '/api/policies')).body.policies.find(
      (p: { id: string }) => p.id === 'hang',
    );
    assert.equal(listed.rollingOutVersion, null, 'nothing rolls out any more');
  } finally {
    // A stopped agent must be continued before it can drain or be reaped cleanly; then nothing is left behind.
    for (const a of agents) {
      if (!a.proc) continue;
      a.proc.child.kill('SIGCONT');
      await a.proc.kill('SIGKILL');
    }
    await server?.proc.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  }
});
