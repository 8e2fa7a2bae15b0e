// Alerts end to end at the boundary: simulated agents send anomaly alert events and samples over real MQTT (Aedes on
// loopback) into the real control plane (SQLite); the correlator opens an incident from a sustained alert only, keeps
// it open while the alert is on, resolves it when the alert ends (reason `cleared`), and the fleet overview
// (`GET /api/hosts`) shows the score peak, the alert and a health derived from facts (incident severity, services).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, startAgent, startFleet, until, type SimAgent } from './fleet-harness.ts';

const MIN = 60_000;
type HostJson = {
  id: string;
  hostname: string;
  anomaly: number | null;
  diskRisk?: number | null;
  failedCollectors?: string[];
  anomalyPeak: number | null;
  alert: { active: boolean; since: number | null; peak: number | null } | null;
  servicesUnhealthy: number | null;
  openIncidents: number;
  incidentSeverity: string | null;
  health: { status: string; reasons: string[] };
};

test('a sustained anomaly alert opens an incident, keeps it open while on and resolves it when it ends; the overview tells the truth', async () => {
  const rig = await startFleet({ incidents: { correlator: { minScore: 2.5 } } });
  const agents: SimAgent[] = [];
  try {
    for (let i = 0; i < 8; i++) agents.push(await startAgent(rig, `n${i}`, { rack: `r${Math.floor(i / 4)}` }));
    const [alerting, stopped, critical, spiky] = agents as [SimAgent, SimAgent, SimAgent, SimAgent];
    const hosts = async () => {
      const r = await api(rig.t, 'GET', '/api/hosts');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.windowMs, 15 * MIN);
      return new Map((r.body.hosts as HostJson[]).map((h) => [h.hostname, h]));
    };
    // Samples in the overview's window (wall clock): a past high score on the alerting host, a stopped service on
    // another, and a one-sample spike on a fourth.
    const now = Date.now();
    await alerting.sample(now - 60_000, 50, { score: 0.95 });
    await alerting.sample(now - 30_000, 50, { score: 0.1, features: { 'services.unhealthy': 0 } });
    await stopped.sample(now - 30_000, 50, { score: 0, features: { 'services.unhealthy': 1 } });
    await spiky.sample(now - 30_000, 50, { score: 1 });
    await spiky.sample(now - 20_000, 50, { score: 0 });
    // Known facts from the newest sample: a disk at failure risk, and a collector failing (not one merely absent).
    const [, , , , , wearing, failing] = agents;
    await wearing!.sample(now - 30_000, 50, { disks: [{ device: 'sdb', probability: 0.83 }] });
    await failing!.sample(now - 30_000, 50, {
      collectors: { cpu: 'ok', smart: 'unavailable: error: smartctl exited 2', sensors: 'unavailable: no hwmon' },
    });
    const top = [{ feature: 'cpu.util_pct', contribution: 0.9, ratio: 4 }];
    const startedAt = rig.clock.t - 20_000;
    await alerting.emit(rig.clock.t, {
      type: 'anomaly.started',
      data: { model: 'm@1', peak: 0.95, score: 0.9, startedAt, top, enter: 0.5, exit: 0.35 },
    });
    await critical.emit(rig.clock.t, { type: 'heal.escalated', severity: 'critical', data: { policy: 'p' } });
    await until(async () => (await rig.fleet.services.ctx.repos.telemetry.countEvents()) === 2, 'events stored');
    await until(async () => (await hosts()).get('n3')?.anomaly === 0, 'samples stored');
    await until(async () => (await hosts()).get('n6')?.failedCollectors?.length === 1, 'the failing collector stored');

    assert.deepEqual(await rig.fleet.services.incidents.tick(), [], 'held for grouping');
    let h = await hosts();
    const a = h.get('n0')!;
    assert.deepEqual([a.anomaly, a.anomalyPeak], [0.1, 0.95], 'current score and the peak of the window');
    assert.deepEqual(a.alert, { active: true, since: startedAt, peak: 0.95, at: rig.clock.t });
    assert.deepEqual(a.health, {
      status: 'warning',
      reasons: ['anomaly alert on'],
    });
    assert.deepEqual(h.get('n1')!.health, { status: 'warning', reasons: ['1 service unhealthy'] }, 'not Healthy');
    assert.deepEqual([h.get('n3')!.anomalyPeak, h.get('n3')!.alert, h.get('n3')!.health.status], [1, null, 'healthy']);
    assert.deepEqual(
      [h.get('n5')!.diskRisk, h.get('n5')!.health],
      [0.83, { status: 'warning', reasons: ['disk failure risk 0.83'] }],
    );
    assert.deepEqual(
      [h.get('n6')!.failedCollectors, h.get('n6')!.health],
      [['smart'], { status: 'warning', reasons: ['collector failing: smart'] }],
    );

    rig.clock.t += 4 * MIN;
    const opened = (await rig.fleet.services.incidents.tick()).filter((c) => c.type === 'opened');
    assert.deepEqual(
      opened.map((c) => [c.incident.scope, c.incident.value, c.incident.severity]).sort(),
      [
        ['host', critical.agentId, 'critical'],
        ['host', alerting.agentId, 'warning'],
      ].sort(),
    );
    const incident = opened.find((c) => c.incident.value === alerting.agentId)!.incident;
    h = await hosts();
    assert.deepEqual([h.get('n0')!.incidentSeverity, h.get('n0')!.health.status], ['warning', 'warning']);
    assert.deepEqual([h.get('n2')!.incidentSeverity, h.get('n2')!.health.status], ['critical', 'critical']);
    assert.deepEqual(h.get('n2')!.health.reasons, ['in 1 open incident (critical)']);
    assert.equal(h.get('n4')!.health.status, 'healthy');

    // An hour later with no further event: the alert is still on, so its incident is too (the critical one, made of
    // a point signal, resolves as quiet).
    rig.clock.t += 60 * MIN;
    const quiet = await rig.fleet.services.incidents.tick();
    assert.deepEqual(
      quiet.map((c) => [c.type, c.incident.value, c.incident.resolution?.reason]),
      [['resolved', critical.agentId, 'quiet']],
    );
    assert.equal((await api(rig.t, 'GET', `/api/incidents/${incident.id}`)).body.status, 'open');

    await alerting.emit(rig.clock.t, {
      type: 'anomaly.ended',
      severity: 'info',
      data: { model: 'm@1', peak: 0.97, startedAt, endedAt: rig.clock.t - 10 * MIN, durationMs: 54 * MIN, top },
    });
    await until(async () => (await rig.fleet.services.ctx.repos.telemetry.countEvents()) === 3, 'end stored');
    const resolved = await rig.fleet.services.incidents.tick();
    assert.deepEqual(
      resolved.map((c) => [c.type, c.incident.id]),
      [['resolved', incident.id]],
    );
    const got = (await api(rig.t, 'GET', `/api/incidents/${incident.id}`)).body;
    assert.equal(got.status, 'resolved');
    assert.deepEqual(got.resolution, {
      reason: 'cleared',
      at: rig.clock.t,
      text: 'cleared: the anomaly alert of its host ended',
    });
    assert.deepEqual(got.conditions, [
      {
        key: `${alerting.agentId}:anomaly`,
        hostId: alerting.agentId,
        condition: 'anomaly',
        since: rig.clock.t - 64 * MIN,
        endedAt: rig.clock.t,
      },
    ]);
    assert.equal(got.timeline.at(-1).text, 'cleared: the anomaly alert of its host ended');
    h = await hosts();
    assert.deepEqual(
      [h.get('n0')!.alert?.active, h.get('n0')!.openIncidents, h.get('n0')!.health.status],
      [false, 0, 'healthy'],
    );
    // The window is a query parameter, bounded, refused in words.
    const bad = await api(rig.t, 'GET', '/api/hosts?window=1s');
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /window must be between 1m and 7d/);
    assert.equal((await api(rig.t, 'GET', '/api/hosts?window=7d')).body.windowMs, 7 * 86_400_000);
  } finally {
    for (const a of agents) await a.close();
    await rig.close();
  }
});
