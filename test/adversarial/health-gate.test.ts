/**
 * G1: the rollout health gate fails closed. A host sent a new policy that then goes silent (its agent crashes, or
 * stays connected but stops sending samples) halts a multi-wave rollout at its first wave, with a gate result that
 * says which host and why. Real control plane + fleet module, simulated agents over real MQTT, fake fleet clock.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { api } from '../support/control-plane.ts';
import { startAgent, startFleet, until, type FleetRig, type SimAgent } from '../integration/fleet-harness.ts';
import { evaluateGate, livenessOf, silenceLimitMs, unprovenOf } from '../../control-plane/fleet/health-gate.ts';

const POLICY = `policies:
  - name: restart-nginx
    when: { service: nginx, for: 10s }
    do: [ { type: restart-service, service: nginx } ]
`;

async function haltsAtFirstWave(
  goSilent: (rig: FleetRig, target: SimAgent, others: SimAgent[]) => Promise<void>,
  why: RegExp,
) {
  const rig = await startFleet();
  const agents: SimAgent[] = [];
  try {
    for (let i = 0; i < 4; i++) agents.push(await startAgent(rig, `gate-${i}`, { role: 'web' }));
    // Every host has been reporting before the rollout.
    for (const a of agents) await a.sample(rig.clock.t - 5_000, 100);
    assert.equal((await api(rig.t, 'POST', '/api/policies', { name: 'web', source: POLICY })).status, 201);
    const pub = await api(rig.t, 'POST', '/api/policies/web/publish', {
      version: 1,
      selector: 'role=web',
      percents: [25, 100],
      soak: '60s',
    });
    assert.equal(pub.status, 201, JSON.stringify(pub.body));
    const target = agents.find((a) => a.agentId === pub.body.waves[0][0])!;
    await until(() => target.applied.length > 0, 'the first wave received the policy');
    // Its acknowledgement (state) is stored: it applied the policy, and nothing of it is still in flight.
    await until(
      async () => (await api(rig.t, 'GET', `/api/hosts/${target.agentId}`)).body.appliedPolicyVersion === 'web@1',
      'target acknowledged',
      30_000,
    );
    await goSilent(
      rig,
      target,
      agents.filter((a) => a !== target),
    );
    rig.clock.t += 60_000;
    await rig.fleet.tick();
    const ro = (await api(rig.t, 'GET', `/api/rollouts/${pub.body.id}`)).body;
    assert.equal(ro.status, 'halted', JSON.stringify(ro.history));
    assert.equal(ro.wave, 0, 'never went beyond the first wave');
    const gate = ro.history.find((h: { event: string }) => h.event === 'gate fail');
    assert.ok(gate, JSON.stringify(ro.history));
    assert.match(gate.detail, new RegExp(`${target.agentId} ${why.source}`));
    for (const a of agents) if (a !== target) assert.equal(a.applied.length, 0, 'the second wave was never sent');
  } finally {
    for (const a of agents) await a.close().catch(() => {});
    await rig.close();
  }
}

describe('G1: the health gate fails closed', () => {
  it('a treated host whose agent crashes (presence offline) halts the rollout at wave 0', async () => {
    await haltsAtFirstWave(async (rig, target) => {
      target.client.end(true); // no DISCONNECT packet: the broker sees the connection drop, as after kill -9
      await until(
        async () => (await api(rig.t, 'GET', `/api/hosts/${target.agentId}`)).body.online === false,
        'target offline',
        30_000,
      );
    }, /offline/);
  });

  it('a treated host that stays connected but stops sending samples (stalled cycle) halts it too', async () => {
    await haltsAtFirstWave(async (rig, target, others) => {
      // The others go on reporting through the soak; the target's last sample is from before the rollout.
      for (const a of others) await a.sample(rig.clock.t + 50_000, 100);
      await until(
        async () => (await api(rig.t, 'GET', `/api/hosts/${others[0]!.agentId}/samples`)).body.samples.length >= 2,
        'samples stored',
        30_000,
      );
    }, /silent: no sample for 65 s/);
  });
});

describe('G1: gate logic (pure)', () => {
  it('silent, offline and alive hosts', () => {
    assert.match(livenessOf({ host: 'a', online: false, lastSampleAt: 1000 }, 2000, 60_000)!, /^offline/);
    assert.match(
      livenessOf({ host: 'a', online: true, lastSampleAt: 0 }, 100_000, 60_000)!,
      /^silent: no sample for 100 s \(limit 30 s/,
    );
    assert.equal(livenessOf({ host: 'a', online: true, lastSampleAt: 90_000 }, 100_000, 60_000), null);
    assert.equal(
      livenessOf({ host: 'a', online: true, lastSampleAt: null }, 100_000, 60_000),
      null,
      'never sampled: presence decides',
    );
  });

  it('an unresponsive treated host fails the gate even with zero errors everywhere', () => {
    const quiet = { hosts: 1, errors: 0, anomalies: 0, inferenceErrors: 0 };
    const r = evaluateGate(
      { ...quiet, unresponsive: [{ host: 'h1', why: 'offline (no MQTT session: crashed, hung or cut off)' }] },
      quiet,
      0,
    );
    assert.equal(r.verdict, 'fail');
    assert.match(r.reasons[0]!, /1 host\(s\) sent the new version stopped reporting: h1 offline/);
    assert.equal(evaluateGate(quiet, quiet, 0).verdict, 'pass');
  });

  it('short soaks: the silence limit follows each host cadence, and a wave waits for proof of life', () => {
    // 15 s soak, 1 s cycle: 10 s limit (not the 30 s floor for an unknown cadence, twice the soak)
    assert.equal(silenceLimitMs(15_000, 1_000), 10_000);
    assert.equal(silenceLimitMs(15_000, null), 30_000);
    assert.equal(silenceLimitMs(15_000, 8_000), 24_000, 'three cycles');
    assert.equal(silenceLimitMs(600_000, 1_000), 300_000, 'long soaks: half the soak, at most 5 min');
    // hung 3 s after its wave was sent (t = 0): at the 15 s gate, 12 s without a sample is over the 10 s limit
    const hung = { host: 'h', online: true, lastSampleAt: 3_000, intervalMs: 1_000 };
    assert.match(livenessOf(hung, 15_000, 15_000)!, /^silent: no sample for 12 s \(limit 10 s/);
    // before that, the gate cannot vouch for it: it has not reported since 10 s after its wave was sent
    assert.match(unprovenOf(hung, 0, 15_000)!, /^no sample yet from 10 s after its wave was sent/);
    assert.equal(livenessOf(hung, 12_000, 15_000), null);
    const running = { ...hung, lastSampleAt: 14_500 };
    assert.equal(unprovenOf(running, 0, 15_000), null);
    assert.equal(unprovenOf({ ...hung, lastSampleAt: null }, 0, 15_000), null, 'never sampled: presence decides');
    const quiet = { hosts: 1, errors: 0, anomalies: 0, inferenceErrors: 0 };
    const waiting = evaluateGate({ ...quiet, unproven: [{ host: 'h', why: unprovenOf(hung, 0, 15_000)! }] }, quiet, 0);
    assert.equal(waiting.verdict, 'insufficient');
    assert.match(waiting.reasons[0]!, /^waiting for 1 host\(s\) to report: h no sample yet/);
  });
});
