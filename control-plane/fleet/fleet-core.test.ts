import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planWaves } from './wave-planner.ts';
import { evaluateGate } from './health-gate.ts';
import { diffDocuments, formatDiff } from './policy-diff.ts';
import { matchesSelector, parseSelector } from '../../contract/label-selector.ts';
import { createRolloutState, stepRollout, type WaveObservation } from './rollout.ts';
import { ValidationError } from '../../contract/errors.ts';

const hosts = Array.from({ length: 100 }, (_, i) => ({ id: `host-${String(i).padStart(3, '0')}`, hostname: `n${i}` }));

test('waves: canaries first, then 5% / 25% / 100% cumulative, deterministic and order-independent', () => {
  const w = planWaves(hosts, { canaries: ['n7', 'host-042'] }, 'r1');
  assert.deepEqual(w[0], ['host-007', 'host-042']);
  assert.deepEqual(
    w.slice(1).map((x) => x.length),
    [5, 20, 73],
  );
  assert.equal(new Set(w.flat()).size, 100);
  assert.deepEqual(planWaves([...hosts].reverse(), { canaries: ['n7', 'host-042'] }, 'r1'), w);
  assert.notDeepEqual(planWaves(hosts, {}, 'r2')[0], planWaves(hosts, {}, 'r1')[0]);
});

test('waves: tiny fleets still get one host per wave and bad specs list every issue', () => {
  assert.deepEqual(
    planWaves(hosts.slice(0, 3), {}, 'x').map((w) => w.length),
    [1, 1, 1],
  );
  assert.throws(
    () => planWaves(hosts, { percents: [50, 20, 0] }, 'x'),
    (e: unknown) => e instanceof ValidationError && e.issues.length === 3,
  );
});

test('health gate: passes on a similar rate, fails on a regression, ignores tiny absolute changes', () => {
  const base = { hosts: 90, errors: 9, anomalies: 18 };
  assert.equal(evaluateGate({ hosts: 10, errors: 1, anomalies: 2 }, base, 0).verdict, 'pass');
  const bad = evaluateGate({ hosts: 10, errors: 12, anomalies: 2 }, base, 0);
  assert.equal(bad.verdict, 'fail');
  assert.match(bad.reasons[0]!, /^errors: 1\.20\/host on the new version vs 0\.10\/host/);
  assert.equal(
    evaluateGate({ hosts: 10, errors: 1, anomalies: 0 }, { hosts: 90, errors: 0, anomalies: 0 }, 0).verdict,
    'pass',
  );
  assert.equal(evaluateGate({ hosts: 10, errors: 0, anomalies: 0 }, base, 2).verdict, 'fail');
  assert.equal(evaluateGate({ hosts: 0, errors: 0, anomalies: 0 }, base, 0).verdict, 'insufficient');
  assert.equal(
    evaluateGate({ hosts: 5, errors: 0, anomalies: 0, latencyP95Ms: 30 }, { ...base, latencyP95Ms: 10 }, 0).verdict,
    'fail',
  );
});

test('policy diff lists changed, added and removed leaves by path', () => {
  const d = diffDocuments(
    { rules: [{ id: 'a', max: 3 }], mode: 'auto' },
    { rules: [{ id: 'a', max: 5 }, { id: 'b' }], dryRun: true },
  );
  assert.equal(
    formatDiff(d),
    ['+ dryRun: true', '- mode: "auto"', '~ rules[0].max: 3 → 5', '+ rules[1]: {"id":"b"}'].join('\n'),
  );
  assert.deepEqual(diffDocuments({ a: 1 }, { a: 1 }), []);
});

test('label selectors: equality, sets, existence', () => {
  const l = { rack: 'r1', env: 'prod' };
  assert.ok(matchesSelector('rack=r1,env in (prod, stage)', l));
  assert.ok(!matchesSelector('rack!=r1', l));
  assert.ok(matchesSelector('!maint,env', l));
  assert.ok(matchesSelector('', l));
  assert.ok(!matchesSelector('dc notin (d1),zone', l));
  assert.throws(() => parseSelector('rack=r1,in (x'), ValidationError);
});

const healthy = (treated: string[]): WaveObservation => ({
  treated: { hosts: treated.length, errors: 0, anomalies: 0 },
  baseline: { hosts: 100 - treated.length, errors: 1, anomalies: 1 },
  applyFailures: 0,
  acknowledged: treated,
});
const broken = (treated: string[]): WaveObservation => ({
  treated: { hosts: treated.length, errors: treated.length * 3, anomalies: 0 },
  baseline: { hosts: 100 - treated.length, errors: 1, anomalies: 1 },
  applyFailures: 0,
  acknowledged: treated,
});

test('rollout: waves advance only after the soak and a passing gate, then complete', () => {
  const waves = planWaves(hosts, {}, 'r1');
  let s = createRolloutState(
    { id: 'r1', kind: 'policy', subject: 'p', version: 'p@2', previousVersion: 'p@1', waves, soakMs: 1000 },
    0,
  );
  let r = stepRollout(s, 0, healthy);
  assert.deepEqual(r.actions, [{ type: 'send', wave: 0, hosts: waves[0], version: 'p@2' }]);
  r = stepRollout(r.state, 999, healthy);
  assert.deepEqual(r.actions, []);
  r = stepRollout(r.state, 1000, healthy);
  assert.equal(r.actions[0]!.type, 'send');
  r = stepRollout(r.state, 2000, healthy);
  r = stepRollout(r.state, 3000, healthy);
  assert.deepEqual(r.actions, [{ type: 'completed' }]);
  assert.equal(r.state.status, 'completed');
  s = r.state;
  assert.equal(s.history.filter((h) => h.event.endsWith('passed the health gate')).length, 3);
  assert.deepEqual(
    s.waveResults,
    waves.map((w, wave) => ({ wave, verdict: 'pass', hosts: w.length, acknowledged: w.length, at: (wave + 1) * 1000 })),
  );
});

test("rollout: a wave's result is frozen when its gate decides; later observations never rewrite it", () => {
  const s0 = createRolloutState(
    { id: 'r', kind: 'policy', subject: 'p', version: 'p@2', previousVersion: 'p@1', waves: [['a', 'b'], ['c']] },
    0,
  );
  // wave 0 passes with one of its two hosts acknowledged (the other was slow); then every host acknowledges
  const oneAcked = (treated: string[]): WaveObservation => ({ ...healthy(treated), acknowledged: ['a'] });
  let r = stepRollout(s0, 0, healthy);
  r = stepRollout(r.state, 600_000, oneAcked);
  assert.deepEqual(r.state.waveResults, [{ wave: 0, verdict: 'pass', hosts: 2, acknowledged: 1, at: 600_000 }]);
  r = stepRollout(r.state, 900_000, healthy); // still soaking wave 1: nothing recorded, nothing rewritten
  assert.equal(r.state.waveResults?.length, 1);
  r = stepRollout(r.state, 1_200_000, broken);
  assert.equal(r.state.status, 'halted');
  assert.deepEqual(r.state.waveResults, [
    { wave: 0, verdict: 'pass', hosts: 2, acknowledged: 1, at: 600_000 },
    { wave: 1, verdict: 'fail', hosts: 1, acknowledged: 1, at: 1_200_000 },
  ]);
  assert.equal(s0.waveResults, undefined, 'the input state is untouched');
});

test('rollout: a failing gate halts (policy) or rolls back the treated hosts (model)', () => {
  const waves = planWaves(hosts, {}, 'r1');
  const p = createRolloutState(
    { id: 'r1', kind: 'policy', subject: 'p', version: 'p@2', previousVersion: 'p@1', waves, soakMs: 1000 },
    0,
  );
  let r = stepRollout(stepRollout(p, 0, broken).state, 1000, broken);
  assert.equal(r.state.status, 'halted');
  assert.equal(r.actions.length, 1);
  assert.equal(r.actions[0]!.type, 'halted');
  const m = createRolloutState({ ...p, kind: 'model', autoRollback: true }, 0);
  r = stepRollout(stepRollout(m, 0, broken).state, 1000, broken);
  assert.equal(r.state.status, 'rolled-back');
  assert.deepEqual(r.actions[1], { type: 'rollback', hosts: waves[0], toVersion: 'p@1', reasons: r.gate!.reasons });
});

test('rollout: unacknowledged waves halt after the ack timeout', () => {
  const none = (): WaveObservation => ({
    treated: { hosts: 0, errors: 0, anomalies: 0 },
    baseline: { hosts: 100, errors: 0, anomalies: 0 },
    applyFailures: 0,
    acknowledged: [],
  });
  const s = createRolloutState(
    {
      id: 'r1',
      kind: 'policy',
      subject: 'p',
      version: 'p@2',
      previousVersion: null,
      waves: [['a']],
      soakMs: 1000,
      ackTimeoutMs: 500,
    },
    0,
  );
  let r = stepRollout(stepRollout(s, 0, none).state, 1200, none);
  assert.equal(r.state.status, 'soaking');
  r = stepRollout(r.state, 1500, none);
  assert.equal(r.state.status, 'halted');
  assert.match(
    (r.actions[0] as { reasons: string[] }).reasons[0]!,
    /not acknowledged within 0 s|not acknowledged within 1 s/,
  );
});
