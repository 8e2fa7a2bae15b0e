/**
 * Fleet test harness: the real control plane (Aedes, SQLite, HTTP on loopback) with the fleet module attached on a
 * fake clock (`clock.t`, ticks only when the test calls `fleet.tick()`), and simulated agents that run the real
 * agent/fleet receivers over MQTT: they verify and apply policy bundles and models and acknowledge in `state`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { agentTopic, commandTopic, Command } from '../../contract/protocol/index.ts';
import {
  createFleetModule,
  type FleetModule,
  type FleetModuleOptions,
} from '../../control-plane/fleet/fleet-module.ts';
import { createFleetState } from '../../agent/fleet/fleet-state.ts';
import { createPolicyReceiver, type FleetEvent } from '../../agent/fleet/policy-receiver.ts';
import { createModelUpdater } from '../../agent/fleet/model-updater.ts';
import type { PolicySet } from '../../contract/policy/schema.ts';
import {
  api,
  connectAgent,
  enroll,
  startTestControlPlane,
  type Enrolled,
  type TestControlPlane,
} from '../support/control-plane.ts';

export type FleetRig = { t: TestControlPlane; fleet: FleetModule; clock: { t: number }; close(): Promise<void> };

export async function startFleet(options: FleetModuleOptions = {}, databaseUrl?: string): Promise<FleetRig> {
  const clock = { t: Date.UTC(2026, 0, 5, 12) };
  const fleet = createFleetModule({ now: () => clock.t, tickMs: 0, ...options });
  const t = await startTestControlPlane({
    fleetRoutes: fleet.routes,
    mounts: fleet.mounts,
    middleware: [fleet.middleware],
    openIncidentsByHost: fleet.openIncidentsByHost,
    ...(databaseUrl ? { databaseUrl } : {}),
  });
  await fleet.attach(t.cp, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }));
  return {
    t,
    fleet,
    clock,
    async close() {
      await fleet.stop();
      await t.close();
    },
  };
}

/** A simulated agent: real MQTT connection, real agent/fleet receivers; healer and inference are recorders. */
export type SimAgent = Enrolled & {
  client: MqttClient;
  applied: PolicySet[];
  swaps: string[];
  events: FleetEvent[];
  commands: Command[];
  seq: number;
  /** Publishes events (seq auto-increments) with `ts`. */
  emit(
    ts: number,
    ...events: {
      type: string;
      severity?: 'info' | 'warning' | 'critical';
      message?: string;
      data?: Record<string, unknown>;
    }[]
  ): Promise<void>;
  /** Publishes one telemetry sample whose anomaly model took `latencyUs` (seq auto-increments); `extra` sets its
   * anomaly score (default 0) and adds features. */
  sample(
    ts: number,
    latencyUs: number,
    extra?: {
      score?: number;
      features?: Record<string, number | null>;
      disks?: { device: string; probability: number }[];
      collectors?: Record<string, string>;
    },
  ): Promise<void>;
  close(): Promise<void>;
};

export async function startAgent(rig: FleetRig, hostname: string, labels: Record<string, string>): Promise<SimAgent> {
  const e = await enroll(rig.t, hostname, { labels });
  const client = await connectAgent(e.mqttUrl, e.agentId, e.secret);
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-agent-'));
  const a = {
    ...e,
    client,
    applied: [] as PolicySet[],
    swaps: [] as string[],
    events: [] as FleetEvent[],
    commands: [] as Command[],
    seq: 1000,
  } as SimAgent;
  const state = createFleetState({
    now: () => rig.clock.t,
    publish: async (m) => {
      await client.publishAsync(agentTopic(e.agentId, 'state'), JSON.stringify(m), { qos: 1 });
    },
  });
  const report = (ev: FleetEvent) => {
    a.events.push(ev);
  };
  const policy = createPolicyReceiver({
    pinnedKey: e.publicKey,
    state,
    report,
    applyPolicySet: (s) => {
      a.applied.push(s);
    },
  });
  const models = createModelUpdater({
    pinnedKey: e.publicKey,
    server: rig.t.urls.httpUrl,
    agentId: e.agentId,
    secret: e.secret,
    dir: join(dir, 'models'),
    state,
    report,
    swapModel: async (name, _path, m) => {
      a.swaps.push(`${name}@${m.version}`);
    },
  });
  let chain = Promise.resolve();
  client.on('message', (topic, payload) => {
    if (topic !== commandTopic(e.agentId)) return;
    const cmd = Command.parse(JSON.parse(payload.toString()));
    a.commands.push(cmd);
    chain = chain.then(async () => {
      if (cmd.type === 'policy') await policy(cmd);
      if (cmd.type === 'model') await models.handle(cmd);
    });
  });
  await client.subscribeAsync(commandTopic(e.agentId), { qos: 1 });
  a.emit = async (ts, ...evs) => {
    const events = evs.map((x) => ({
      seq: ++a.seq,
      ts,
      type: x.type,
      severity: x.severity ?? 'warning',
      ...(x.message ? { message: x.message } : {}),
      data: x.data ?? {},
    }));
    await client.publishAsync(agentTopic(e.agentId, 'events'), JSON.stringify({ v: 1, events }), { qos: 1 });
  };
  a.sample = async (ts, latencyUs, extra = {}) => {
    const model = a.swaps.at(-1) ?? 'anomaly-uni@0';
    const sample = {
      seq: ++a.seq,
      ts,
      schema: 'hs-features/1',
      features: { 'cpu.util_pct': 10, ...extra.features },
      ...(extra.collectors ? { collectors: extra.collectors } : {}),
      scores: {
        anomaly: { score: extra.score ?? 0, model, top: [], latencyUs },
        ...(extra.disks ? { disks: extra.disks.map((d) => ({ ...d, model: 'disk-failure@4.0.0' })) } : {}),
      },
    };
    await client.publishAsync(agentTopic(e.agentId, 'telemetry'), JSON.stringify({ v: 1, samples: [sample] }), {
      qos: 1,
    });
  };
  a.close = async () => {
    await client.endAsync();
    rmSync(dir, { recursive: true, force: true });
  };
  return a;
}

/** Polls until `check` is truthy (bounded). */
export async function until<T>(
  check: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export { api };
