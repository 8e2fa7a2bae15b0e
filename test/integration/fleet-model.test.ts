import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createBundledModels } from '../../control-plane/compose/bundled-models.ts';
import { agentTopic } from '../../contract/protocol/index.ts';
import { api, startAgent, startFleet, until, type FleetRig, type SimAgent } from './fleet-harness.ts';

const onnx = readFileSync(new URL('../../models/anomaly/anomaly-uni.onnx', import.meta.url));
const card = JSON.parse(readFileSync(new URL('../../models/anomaly/anomaly-uni.card.json', import.meta.url), 'utf8'));
// Versions follow the shipped card; the "new" model is the same graph under a later version.
const V1 = card.version as string;
const V2 = `${V1}-next`;
const id = (v: string) => `anomaly-uni@${v}`;

/** The agents report `version` of anomaly-uni as the model they run, as a real agent reports the model it ships
 * with at start (agent/fleet/fleet-state.ts modelsByName); resolves once the API shows it on all of them. */
async function reportBundled(rig: FleetRig, agents: SimAgent[], version: string): Promise<void> {
  for (const a of agents)
    await a.client.publishAsync(
      agentTopic(a.agentId, 'state'),
      JSON.stringify({ v: 1, ts: rig.clock.t, policyVersion: null, models: { 'anomaly-uni': version }, errors: [] }),
      { qos: 1 },
    );
  await until(async () => {
    const hosts = (await api(rig.t, 'GET', '/api/hosts')).body.hosts as { appliedModels: Record<string, string> }[];
    return hosts.filter((h) => h.appliedModels?.['anomaly-uni'] === version).length === agents.length;
  }, 'hosts report the bundled model');
}

async function upload(rig: FleetRig, bytes: Uint8Array, c: unknown): Promise<{ status: number; body: any }> {
  const form = new FormData();
  form.set('file', new Blob([new Uint8Array(bytes)]), 'model.onnx');
  form.set('card', JSON.stringify(c));
  const res = await fetch(`${rig.t.urls.httpUrl}/api/models`, {
    method: 'POST',
    body: form,
    headers: { authorization: `Bearer ${rig.t.adminToken}` },
  });
  return { status: res.status, body: await res.json() };
}

test('model registry checks uploads against the card and the graph', async () => {
  const rig = await startFleet();
  try {
    const ok = await upload(rig, onnx, card);
    assert.equal(ok.status, 201);
    assert.deepEqual([ok.body.id, ok.body.sha256], [id(V1), card.sha256]);
    assert.equal((await upload(rig, onnx, card)).status, 409);
    const lying = await upload(rig, onnx, {
      ...card,
      version: '9',
      sha256: 'a'.repeat(64),
      inputs: [{ ...card.inputs[0], shape: [1, 7] }, ...card.inputs.slice(1)],
      featureSchemaVersion: 'other/9',
    });
    assert.equal(lying.status, 400);
    assert.deepEqual(lying.body.issues.map((i: { path: string }) => i.path).sort(), [
      'featureSchemaVersion',
      'inputs.0.shape',
      'sha256',
    ]);
    const garbage = Buffer.from('not an onnx graph');
    const bad = await upload(rig, garbage, {
      ...card,
      version: '10',
      bytes: garbage.length,
      sha256: (await import('node:crypto')).createHash('sha256').update(garbage).digest('hex'),
    });
    assert.equal(bad.status, 400);
    assert.match(bad.body.issues[0].message, /^onnxruntime cannot load it/);
    // Only agents (or admins) may download; viewers may not, anonymous callers are unauthenticated.
    assert.equal((await fetch(`${rig.t.urls.httpUrl}/api/models/${id(V1)}/file`)).status, 401);
  } finally {
    await rig.close();
  }
});

test('model rollout: canary first; a regressing canary rolls back to the previous model automatically', async () => {
  const rig = await startFleet();
  const agents: SimAgent[] = [];
  try {
    for (let i = 0; i < 6; i++) agents.push(await startAgent(rig, `node-${i}`, { rack: 'r1' }));
    const modelsOn = async (version: string, n: number) =>
      until(async () => {
        const hosts = (await api(rig.t, 'GET', '/api/fleet/hosts')).body.hosts;
        return hosts.filter((h: any) => h.models['anomaly-uni']?.applied === `anomaly-uni@${version}`).length === n
          ? hosts
          : null;
      }, `${n} hosts on ${version}`);
    assert.equal((await upload(rig, onnx, card)).status, 201);
    assert.equal((await upload(rig, onnx, { ...card, version: V2 })).status, 201);
    const first = await api(rig.t, 'POST', `/api/models/${id(V1)}/publish`, { percents: [100], soak: '1m' });
    assert.equal(first.status, 201);
    await modelsOn(V1, 6);
    assert.deepEqual(
      agents.map((a) => a.swaps),
      agents.map(() => [id(V1)]),
    );
    rig.clock.t += 60_000;
    await rig.fleet.tick();

    const canary = agents[3]!;
    const ro = await api(rig.t, 'POST', `/api/models/${id(V2)}/publish`, {
      canaries: ['node-3'],
      percents: [50, 100],
      soak: '5m',
    });
    assert.equal(ro.status, 201);
    assert.deepEqual(ro.body.waves[0], [canary.agentId]);
    assert.equal(ro.body.previousVersion, id(V1));
    assert.equal(ro.body.autoRollback, true);
    await modelsOn(V2, 1);
    // The canary regresses: inference errors and a burst of anomalies on the new model.
    await canary.emit(
      rig.clock.t + 10_000,
      ...Array.from({ length: 3 }, () => ({ type: 'model.error', data: { kind: 'anomaly', model: 'anomaly-uni' } })),
      ...Array.from({ length: 4 }, () => ({ type: 'anomaly.detected', data: { feature: 'cpu.util' } })),
    );
    await until(
      async () => (await api(rig.t, 'GET', `/api/hosts/${canary.agentId}/events`)).body.events.length === 7,
      'canary events stored',
    );
    rig.clock.t += 5 * 60_000;
    await rig.fleet.tick();
    const after = (await api(rig.t, 'GET', `/api/rollouts/${ro.body.id}`)).body;
    assert.equal(after.status, 'rolled-back');
    // The gate's rollback is a rollout of its own, to the treated host only, started by the system.
    const started = after.history.find((h: { event: string }) => h.event === 'rollback started');
    const back = (await api(rig.t, 'GET', `/api/rollouts/${started.detail}`)).body;
    assert.deepEqual(
      [back.rollback, back.version, back.previousVersion, back.waves, back.status, back.createdBy],
      [true, id(V1), id(V2), [[canary.agentId]], 'soaking', 'system:rollout'],
    );
    await modelsOn(V1, 6);
    assert.deepEqual(canary.swaps, [id(V1), id(V2), id(V1)]);
    // Complete once the canary has acknowledged it (its state reports V1 again), not when it was sent.
    await rig.fleet.tick();
    const done = (await api(rig.t, 'GET', `/api/rollouts/${back.id}`)).body;
    assert.equal(done.status, 'completed');
    assert.equal(done.history.at(-1).detail, 'acknowledged by all 1 host(s)');
    assert.deepEqual(
      agents.filter((a) => a !== canary).map((a) => a.swaps.length),
      [1, 1, 1, 1, 1],
    );
    const audit = (await api(rig.t, 'GET', '/api/audit?action=rollout.rolled-back')).body.entries;
    assert.equal(audit.length, 1);
    assert.match(audit[0].detail.reasons.join(' '), /inferenceErrors: 3\/host on the new version/);
  } finally {
    for (const a of agents) await a.close();
    await rig.close();
  }
});

test('model rollout: a canary whose inference got slower than the rest rolls back (latency gate)', async () => {
  const rig = await startFleet();
  const agents: SimAgent[] = [];
  try {
    for (let i = 0; i < 4; i++) agents.push(await startAgent(rig, `lat-${i}`, { rack: 'r2' }));
    assert.equal((await upload(rig, onnx, card)).status, 201);
    assert.equal((await upload(rig, onnx, { ...card, version: V2 })).status, 201);
    const ro = await api(rig.t, 'POST', `/api/models/${id(V2)}/publish`, {
      canaries: ['lat-0'],
      percents: [100],
      soak: '5m',
    });
    assert.equal(ro.status, 201);
    const canary = agents[0]!;
    await until(async () => canary.swaps.includes(id(V2)), 'canary swapped to the new model');
    // Every host reports per-cycle latency in its samples; the canary is 4x slower than the hosts still on the old model.
    // Samples are spread over the soak: a host that stops sending them fails the gate (health-gate.ts livenessOf).
    for (let k = 0; k < 20; k++) {
      for (const a of agents) await a.sample(rig.clock.t + 1000 + k * 14_000, a === canary ? 400 : 100);
    }
    await until(
      async () => (await api(rig.t, 'GET', `/api/hosts/${canary.agentId}/samples`)).body.samples.length === 20,
      'canary samples stored',
    );
    await until(
      async () => (await api(rig.t, 'GET', `/api/hosts/${agents[3]!.agentId}/samples`)).body.samples.length === 20,
      'baseline samples stored',
    );
    rig.clock.t += 5 * 60_000;
    // Canary versus baseline, from the stored samples and events: what the gate is about to judge.
    const cmp = await api(rig.t, 'GET', `/api/rollouts/${ro.body.id}/comparison`);
    assert.equal(cmp.status, 200);
    assert.deepEqual(
      [cmp.body.treated.hosts, cmp.body.treated.latencyP95Ms, cmp.body.baseline.hosts, cmp.body.baseline.latencyP95Ms],
      [1, 0.4, 3, 0.1],
    );
    assert.deepEqual([cmp.body.treated.errors, cmp.body.treated.anomalies, cmp.body.applyFailures], [0, 0, 0]);
    await rig.fleet.tick();
    const after = (await api(rig.t, 'GET', `/api/rollouts/${ro.body.id}`)).body;
    assert.equal(after.status, 'rolled-back');
    const audit = (await api(rig.t, 'GET', '/api/audit?action=rollout.rolled-back')).body.entries;
    assert.match(audit[0].detail.reasons.join(' '), /latency p95 0\.40 ms vs 0\.10 ms \(limit ×1\.5\)/);
  } finally {
    for (const a of agents) await a.close();
    await rig.close();
  }
});

test('model rollout: hosts on a bundled model never uploaded; a regressing canary is rolled back in its state, and the history and audit say the bundled version could not be sent', async () => {
  const rig = await startFleet();
  const agents: SimAgent[] = [];
  const BUNDLED = '0.9.0-bundled';
  try {
    for (let i = 0; i < 3; i++) agents.push(await startAgent(rig, `b-${i}`, { rack: 'r3' }));
    await reportBundled(rig, agents, BUNDLED);
    assert.equal((await upload(rig, onnx, { ...card, version: V2 })).status, 201);
    const ro = await api(rig.t, 'POST', `/api/models/${id(V2)}/publish`, {
      canaries: ['b-0'],
      percents: [100],
      soak: '5m',
    });
    assert.equal(ro.status, 201);
    assert.equal(ro.body.previousVersion, id(BUNDLED), 'the bundled model is what a rollback goes back to');
    const canary = agents[0]!;
    await until(async () => canary.swaps.includes(id(V2)), 'canary swapped to the new model');
    // Rolling back by hand is refused in words while the bundled version is not in the registry.
    const manual = await api(rig.t, 'POST', `/api/rollouts/${ro.body.id}/rollback`);
    assert.deepEqual([manual.status, manual.body.reason], [409, 'not-in-registry']);
    assert.match(manual.body.message, /is neither in the model registry nor bundled with this control plane's agent/);
    await canary.emit(
      rig.clock.t + 10_000,
      ...Array.from({ length: 3 }, () => ({ type: 'model.error', data: { kind: 'anomaly', model: 'anomaly-uni' } })),
    );
    await until(
      async () => (await api(rig.t, 'GET', `/api/hosts/${canary.agentId}/events`)).body.events.length === 3,
      'canary events stored',
    );
    rig.clock.t += 5 * 60_000;
    await rig.fleet.tick(); // does not throw
    const after = (await api(rig.t, 'GET', `/api/rollouts/${ro.body.id}`)).body;
    assert.equal(after.status, 'rolled-back');
    const note = after.history.find((h: { event: string }) => h.event === 'rollback not sent');
    assert.match(note?.detail ?? '', new RegExp(`^anomaly-uni@${BUNDLED}: `));
    const audit = (await api(rig.t, 'GET', '/api/audit?action=rollout.rollback-failed')).body.entries;
    assert.equal(audit.length, 1);
    assert.equal(audit[0].detail.toVersion, id(BUNDLED));
  } finally {
    for (const a of agents) await a.close();
    await rig.close();
  }
});

test("model rollout from a model bundled with this control plane's agent: Roll back registers it (system:bundled, checked like an upload) and the canary goes back to it", async () => {
  const shipped = fileURLToPath(new URL('../../models/anomaly/anomaly-uni.onnx', import.meta.url));
  const rig = await startFleet({ bundledModels: createBundledModels([shipped, '/nonexistent/none.onnx']) });
  const agents: SimAgent[] = [];
  try {
    for (let i = 0; i < 2; i++) agents.push(await startAgent(rig, `s-${i}`, { rack: 'r4' }));
    await reportBundled(rig, agents, V1);
    // Listed as bundled, not yet registered (the missing path is left out).
    const before = await api(rig.t, 'GET', '/api/models');
    assert.deepEqual(before.body, { models: [], bundled: [{ id: id(V1), bytes: onnx.length, registered: false }] });

    assert.equal((await upload(rig, onnx, { ...card, version: V2 })).status, 201);
    const ro = await api(rig.t, 'POST', `/api/models/${id(V2)}/publish`, {
      canaries: ['s-0'],
      percents: [100],
      soak: '5m',
    });
    assert.equal(ro.status, 201);
    assert.equal(ro.body.previousVersion, id(V1));
    const canary = agents[0]!;
    await until(async () => canary.swaps.includes(id(V2)), 'canary swapped to the new model');

    const back = await api(rig.t, 'POST', `/api/rollouts/${ro.body.id}/rollback`);
    assert.equal(back.status, 201);
    assert.deepEqual([back.body.version, back.body.previousVersion], [id(V1), id(V2)]);
    // The canary downloads the bundled graph from the registry, checks the signed manifest and swaps back.
    await until(async () => canary.swaps.at(-1) === id(V1), 'canary back on the bundled model');

    const after = await api(rig.t, 'GET', '/api/models');
    const registered = after.body.models.find((m: { id: string }) => m.id === id(V1));
    assert.deepEqual([registered?.uploadedBy, registered?.sha256], ['system:bundled', card.sha256]);
    assert.deepEqual(after.body.bundled, [{ id: id(V1), bytes: onnx.length, registered: true }]);
    const audit = (await api(rig.t, 'GET', '/api/audit?action=model.registered-bundled')).body.entries;
    assert.deepEqual(
      audit.map((e: { actor: string; actorType: string; target: string }) => [e.actor, e.actorType, e.target]),
      [['system:bundled', 'system', id(V1)]],
    );
  } finally {
    for (const a of agents) await a.close();
    await rig.close();
  }
});
