import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, type DecideEnv } from './decide.ts';
import { MAX_REGEX_TESTS_PER_CYCLE } from './evaluate.ts';
import { applyApproval, applyPause } from './commands.ts';
import { emptyGuardState, type GuardState } from './guard-state.ts';
import { parsePolicyDocument, type Policy } from '../../contract/policy/schema.ts';
import type { Observation } from './types.ts';

const env: DecideEnv = {
  labels: { role: 'web' },
  connected: true,
  protectedPids: [1],
  protectedNames: ['sshd'],
  config: {
    allowedActions: ['restart-service', 'kill-process', 'notify', 'free-disk'],
    allowedDirs: ['/data'],
    scriptsDir: undefined,
    protectedProcesses: [],
    approvalOfflineFallback: 'wait',
  },
};

function policies(yaml: string): Policy[] {
  return parsePolicyDocument(yaml, 'yaml').policies;
}
function obs(ts: number, nginx: 'active' | 'failed', cpu = 10): Observation {
  return { ts, features: { 'cpu.util_pct': cpu }, facts: { services: [{ name: 'nginx', state: nginx }] } };
}
const restartNginx = (guards: string) =>
  policies(`
policies:
  - name: nginx
    when: { service: nginx }
    do: [ { type: restart-service, service: nginx } ]
    guards: ${guards}
`);

/** Runs cycles with a fake clock; returns the kinds of decisions and the number of actions per cycle. */
function run(
  ps: Policy[],
  cycles: { t: number; o: Observation; e?: Partial<DecideEnv> }[],
  start: GuardState = emptyGuardState(),
) {
  let state = start;
  const out: { kinds: string[]; actions: number; guards: (string | undefined)[] }[] = [];
  for (const c of cycles) {
    const r = decide(c.o, ps, state, c.t, { ...env, ...c.e });
    state = r.nextGuardState;
    out.push({
      kinds: r.decisions.map((d) => d.kind),
      actions: r.actions.length,
      guards: r.decisions.map((d) => d.guard),
    });
  }
  return { out, state };
}

test('for: a feature must exceed its threshold for the whole duration', () => {
  const ps = policies(`
policies:
  - name: hot
    when: { feature: cpu.util_pct, op: '>', value: 90, for: 30s }
    do: [ { type: notify, message: hot } ]
`);
  const { out } = run(
    ps,
    [0, 10_000, 20_000, 30_000].map((t) => ({ t, o: obs(t, 'active', 95) })),
  );
  assert.deepEqual(
    out.map((c) => c.actions),
    [0, 0, 0, 1],
  );
  // a dip resets the timer
  const r2 = run(ps, [
    { t: 0, o: obs(0, 'active', 95) },
    { t: 20_000, o: obs(20_000, 'active', 50) },
    { t: 30_000, o: obs(30_000, 'active', 95) },
    { t: 45_000, o: obs(45_000, 'active', 95) },
  ]);
  assert.deepEqual(
    r2.out.map((c) => c.actions),
    [0, 0, 0, 0],
  );
});

test('cooldown: no second run until the cooldown has passed', () => {
  const ps = restartNginx('{ cooldown: 60s }');
  const { out } = run(
    ps,
    [0, 10_000, 59_000, 60_000].map((t) => ({ t, o: obs(t, 'failed') })),
  );
  assert.deepEqual(
    out.map((c) => c.actions),
    [1, 0, 0, 1],
  );
  assert.equal(out[1]!.guards.includes('cooldown'), true);
  assert.deepEqual(out[2]!.kinds, [], 'a suppression is reported once, not every cycle');
});

test('maxRunsPerHour: a rolling hour caps executions', () => {
  const ps = restartNginx('{ maxRunsPerHour: 2 }');
  const times = [0, 1000, 2000, 3000, 3_600_000, 3_601_000];
  const { out } = run(
    ps,
    times.map((t) => ({ t, o: obs(t, 'failed') })),
  );
  assert.deepEqual(
    out.map((c) => c.actions),
    [1, 1, 0, 0, 1, 1],
  );
  assert.ok(out[2]!.guards.includes('hourly-limit'));
});

test('maxAttempts: escalates once after K attempts, stops trying, and starts over after the incident clears', () => {
  const ps = restartNginx('{ maxAttempts: 2 }');
  const { out } = run(ps, [
    { t: 0, o: obs(0, 'failed') },
    { t: 1, o: obs(1, 'failed') },
    { t: 2, o: obs(2, 'failed') },
    { t: 3, o: obs(3, 'failed') },
    { t: 4, o: obs(4, 'active') },
    { t: 5, o: obs(5, 'failed') },
  ]);
  assert.deepEqual(
    out.map((c) => c.actions),
    [1, 1, 0, 0, 0, 1],
  );
  assert.deepEqual(out[2]!.kinds, ['escalated']);
  assert.deepEqual(out[3]!.kinds, []);
  assert.deepEqual(out[4]!.kinds, ['cleared']);
  assert.deepEqual(out[5]!.kinds, ['matched', 'execute']);
});

test('verify: an attempt whose verify condition does not hold in time counts as failed', () => {
  const ps = restartNginx('{ maxAttempts: 2, verify: { within: 10s, condition: { not: { service: nginx } } } }');
  const { out } = run(
    ps,
    [0, 5000, 10_000, 10_001, 20_001].map((t) => ({ t, o: obs(t, 'failed') })),
  );
  assert.deepEqual(out[0]!.kinds, ['matched', 'execute']);
  assert.deepEqual(out[1]!.guards, ['verify-pending']);
  assert.deepEqual(out[2]!.kinds, ['verify-failed', 'execute'], 'failed verify, then the 2nd attempt');
  assert.deepEqual(out[4]!.kinds, ['verify-failed', 'escalated']);
  const ok = run(ps, [
    { t: 0, o: obs(0, 'failed') },
    { t: 2000, o: obs(2000, 'active') },
  ]);
  assert.deepEqual(ok.out[1]!.kinds, ['verified']);
  assert.equal(ok.state.policies.nginx!.incident, null);
});

test('dryRun: decides and reports, never plans an action', () => {
  const ps = restartNginx('{ dryRun: true, cooldown: 30s }');
  const { out } = run(
    ps,
    [0, 1000, 31_000].map((t) => ({ t, o: obs(t, 'failed') })),
  );
  assert.deepEqual(
    out.map((c) => c.actions),
    [0, 0, 0],
  );
  assert.deepEqual(
    out.map((c) => c.kinds),
    [['matched', 'dry-run'], ['suppressed'], ['dry-run']],
  );
});

test('requireApproval: waits, then acts on the next cycle after the approval arrives; denial stops the incident', () => {
  const ps = restartNginx('{ requireApproval: true }');
  let state = emptyGuardState();
  let r = decide(obs(0, 'failed'), ps, state, 0, env);
  assert.deepEqual(
    r.decisions.map((d) => d.kind),
    ['matched', 'approval-requested'],
  );
  assert.equal(r.actions.length, 0);
  const requestId = r.decisions[1]!.requestId!;
  r = decide(obs(1000, 'failed'), ps, r.nextGuardState, 1000, env);
  assert.equal(r.actions.length, 0, 'still waiting');
  const a = applyApproval(r.nextGuardState, { requestId, approved: true, by: 'alice' });
  assert.deepEqual(
    a.decisions.map((d) => d.kind),
    ['approval-granted'],
  );
  r = decide(obs(2000, 'failed'), ps, a.state, 2000, env);
  assert.deepEqual(
    r.actions.map((x) => x.spec.type),
    ['restart-service'],
  );
  // denial
  state = decide(obs(0, 'failed'), ps, emptyGuardState(), 0, env).nextGuardState;
  const d = applyApproval(state, {
    requestId: Object.keys(state.approvals)[0]!,
    approved: false,
    by: 'bob',
    reason: 'maintenance',
  });
  assert.deepEqual(
    d.decisions.map((x) => x.kind),
    ['approval-denied'],
  );
  r = decide(obs(3000, 'failed'), ps, d.state, 3000, env);
  assert.equal(r.actions.length, 0);
  assert.deepEqual(
    applyApproval(d.state, { requestId: 'nope', approved: true, by: 'x' }).decisions[0]!.kind,
    'approval-unknown',
  );
});

test('requireApproval offline: skip-and-escalate escalates instead of waiting; wait keeps the request', () => {
  const ps = restartNginx('{ requireApproval: true }');
  const offline = {
    connected: false,
    config: { ...env.config, approvalOfflineFallback: 'skip-and-escalate' as const },
  };
  const r = decide(obs(0, 'failed'), ps, emptyGuardState(), 0, { ...env, ...offline });
  assert.deepEqual(
    r.decisions.map((d) => d.kind),
    ['matched', 'escalated'],
  );
  const w = decide(obs(0, 'failed'), ps, emptyGuardState(), 0, { ...env, connected: false });
  assert.deepEqual(
    w.decisions.map((d) => d.kind),
    ['matched', 'approval-requested'],
  );
});

test('priority: the higher-priority policy wins a shared target in the same cycle', () => {
  const ps = policies(`
policies:
  - { name: low, priority: 1, when: { service: nginx }, do: [ { type: restart-service, service: nginx } ] }
  - { name: high, priority: 5, when: { service: nginx }, do: [ { type: restart-service, service: nginx }, { type: notify, message: x } ] }
`);
  const r = decide(obs(0, 'failed'), ps, emptyGuardState(), 0, env);
  assert.deepEqual(
    r.actions.map((a) => a.policy),
    ['high', 'high'],
  );
  const s = r.decisions.find((d) => d.policy === 'low' && d.kind === 'suppressed');
  assert.equal(s?.guard, 'priority');
});

test('selector: a policy for other hosts does not run', () => {
  const ps = policies(`
policies:
  - name: db-only
    selector: { matchLabels: { role: db }, matchExpressions: [ { key: zone, operator: Exists } ] }
    when: { service: nginx }
    do: [ { type: restart-service, service: nginx } ]
`);
  assert.equal(decide(obs(0, 'failed'), ps, emptyGuardState(), 0, env).decisions.length, 0);
  assert.equal(
    decide(obs(0, 'failed'), ps, emptyGuardState(), 0, { ...env, labels: { role: 'db', zone: 'a' } }).actions.length,
    1,
  );
});

test('pause: paused action types are suppressed until resumed; notify still runs', () => {
  const ps = policies(`
policies:
  - { name: nginx, when: { service: nginx }, do: [ { type: restart-service, service: nginx } ] }
  - { name: tell, when: { service: nginx }, do: [ { type: notify, message: down } ] }
`);
  const p = applyPause(emptyGuardState(), { actions: [], until: 10_000, reason: 'maintenance' }, 0);
  let r = decide(obs(1000, 'failed'), ps, p.state, 1000, env);
  assert.deepEqual(
    r.actions.map((a) => a.spec.type),
    ['notify'],
  );
  assert.equal(r.decisions.find((d) => d.policy === 'nginx' && d.kind === 'suppressed')?.guard, 'paused');
  r = decide(obs(10_000, 'failed'), ps, r.nextGuardState, 10_000, env);
  assert.deepEqual(
    r.actions.map((a) => a.spec.type),
    ['restart-service', 'notify'],
  );
  assert.equal(r.decisions[0]!.kind, 'resumed');
});

test('kill-process never targets protected pids or names, and acts on the processes the condition matched', () => {
  const ps = policies(`
policies:
  - name: hog
    when: { process: { name: '*' }, cpuPctAbove: 80, for: 10s }
    do: [ { type: kill-process } ]
`);
  const o = (t: number): Observation => ({
    ts: t,
    features: {},
    facts: {
      processes: {
        topMem: [],
        topCpu: [
          { pid: 1, name: 'init', cpuPct: 99, rssBytes: 1, runtimeS: 100 },
          { pid: 50, name: 'sshd', cpuPct: 99, rssBytes: 1, runtimeS: 100 },
          { pid: 77, name: 'hog', cpuPct: 99, rssBytes: 1, runtimeS: 100 },
          { pid: 78, name: 'calm', cpuPct: 1, rssBytes: 1, runtimeS: 100 },
        ],
      },
    },
  });
  const { out, state } = run(ps, [{ t: 0, o: o(0) }]);
  assert.equal(out[0]!.actions, 0);
  const r = decide(o(10_000), ps, state, 10_000, env);
  assert.deepEqual(
    r.actions[0]!.targets!.map((t) => t.pid),
    [77],
  );
});

test('decide is pure: the input state is not mutated and the same inputs give the same outputs', () => {
  const ps = restartNginx('{ cooldown: 10s, maxAttempts: 3 }');
  const s = emptyGuardState();
  const before = JSON.stringify(s);
  const a = decide(obs(0, 'failed'), ps, s, 0, env);
  const b = decide(obs(0, 'failed'), ps, s, 0, env);
  assert.equal(JSON.stringify(s), before);
  assert.deepEqual(a, b);
  assert.deepEqual(JSON.parse(JSON.stringify(a.nextGuardState)), a.nextGuardState, 'state is plain JSON');
});

test('regex budget: a policy whose regex tests ran out neither acts nor clears (a not around them does not hold)', () => {
  const ps = policies(`
policies:
  - name: no-worker
    when: { not: { process: { cmdline: 'worker --queue' } } }
    do: [ { type: notify, message: worker gone } ]
  - name: nginx
    when: { service: nginx }
    do: [ { type: restart-service, service: nginx } ]
`);
  // More processes than the cycle's regex tests: the worker's line comes last, after the budget has run out.
  const all = Array.from({ length: MAX_REGEX_TESTS_PER_CYCLE }, (_, i) => ({
    pid: 1000 + i,
    name: 'sleep',
    cmdline: 'sleep 60',
    cpuPct: 0,
    rssBytes: 1,
    runtimeS: 100,
  }));
  all.push({ pid: 99, name: 'python', cmdline: 'python worker --queue', cpuPct: 0, rssBytes: 1, runtimeS: 100 });
  const o: Observation = {
    ts: 0,
    features: {},
    facts: { services: [{ name: 'nginx', state: 'failed' }], processes: { topMem: [], topCpu: [], all } },
  };
  const r = decide(o, ps, emptyGuardState(), 0, env);
  assert.deepEqual(
    r.decisions.map((d) => [d.kind, d.policy, d.guard]),
    [
      ['matched', 'nginx', undefined],
      ['execute', 'nginx', undefined],
      ['suppressed', 'no-worker', 'match-budget'],
    ],
  );
  assert.match(r.decisions[2]!.reason ?? '', /50000 regular-expression tests ran out/);
  assert.deepEqual(
    r.actions.map((a) => a.policy),
    ['nginx'],
    'the policy without regexes still acts; the undecided one does not',
  );
});
