/**
 * The demo fleet: N simulated agents in this process, each enrolled through the real HTTP enroll path and connected
 * through the real MQTT link (agent/agent.ts), replaying the bundled trace (demo-source.ts). Each runs the real agent
 * stages, composed like agent/assemble.ts: the real inference stage (the shipped ONNX models, loaded once for the
 * whole fleet and shared read-only through shared-engine.ts; per-agent model state and state dir), the real healer (signed policy bundles, guards, approvals, pauses, journal) over simulated
 * facts (demo-stages.ts), and the real model updater. Labels spread hosts over datacenters, racks and roles. A
 * scheduler injects faults: a stopped nginx on web hosts and filling disks (healed when a matching policy is applied),
 * and a correlated heat wave across one rack.
 */
import { join } from 'node:path';
import { eventBody } from '../../contract/protocol/events.ts';
import { mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import { AGENT_VERSION, createAgent, type Agent } from '../../agent/agent.ts';
import { loadAgentConfig } from '../../agent/config/load.ts';
import { enroll } from '../../agent/enroll/enroll.ts';
import { createMemoryOutbox } from '../../agent/link/outbox/memory-store.ts';
import { createFleetHandlers } from '../../agent/fleet/fleet-handlers.ts';
import { loadHealConfig } from '../../agent/heal/config.ts';
import { createHealer } from '../../agent/heal/healer.ts';
import { createHealStage } from '../../agent/heal/heal-stage.ts';
import { createInferStage, isModelFeature } from '../../agent/infer/infer-stage.ts';
import { createInference } from '../../agent/infer/inference.ts';
import { createEngine } from '../../agent/infer/engines.ts';
import { createSharedEngine } from './shared-engine.ts';
import { createDemoSource, type Faults } from './demo-source.ts';
import { createDemoServiceManager, faultObserver } from './demo-stages.ts';
import { demoDisks } from './demo-smart.ts';

/** The directory free-disk may clean on demo hosts (empty; the disk fill itself is simulated). */
export const DEMO_SPOOL = '/tmp/homeostat-demo-spool';

const DATACENTERS = ['fra1', 'ams2'];
const ROLES = ['web', 'web', 'db', 'cache'];
const HOSTS_PER_RACK = 5;
/** Agents enrolling and starting at the same time. */
const ENROLL_CONCURRENCY = 8;

/** One simulated host. */
export type DemoHost = {
  index: number;
  hostname: string;
  labels: Record<string, string>;
  faults: Faults;
  agent: Agent;
  agentId: string;
};

/** Options of {@link startDemoFleet}. */
export type DemoFleetOptions = {
  httpUrl: string;
  mqttUrl: string;
  /** Admin API token used to create the enrollment token. */
  apiToken: string;
  agents: number;
  stateDir: string;
  /** Seconds between readings per agent (default 2). */
  cycleSeconds?: number;
  /** Trace speed-up (default 60: the 5-minute trace rows advance every 5 s). */
  speedup?: number;
  /** Run the fault schedule (default true). */
  schedule?: boolean;
  logger: Logger;
};

/** The running fleet. */
export type DemoFleet = {
  hosts: DemoHost[];
  /** Heats every host of `rack` for `ms` (a correlated multi-host incident). */
  heatRack(rack: string, ms: number): DemoHost[];
  /** Stops `service` on `host` until a policy (or approval) restarts it. */
  stopService(host: DemoHost, service: string): void;
  /** Starts filling the root filesystem of `host`. */
  fillDisk(host: DemoHost): void;
  stop(): Promise<void>;
};

/** Labels of the i-th demo host: racks of 5, alternating datacenters, roles cycling web/web/db/cache. */
export function demoLabels(i: number): { hostname: string; labels: Record<string, string> } {
  const rackNo = Math.floor(i / HOSTS_PER_RACK);
  const datacenter = DATACENTERS[rackNo % DATACENTERS.length]!;
  const rack = `${datacenter}-r${String(rackNo + 1).padStart(2, '0')}`;
  const role = ROLES[i % ROLES.length]!;
  return { hostname: `${role}-${rack}-${(i % HOSTS_PER_RACK) + 1}`, labels: { datacenter, rack, role } };
}

/** Enrolls and starts the fleet (a bounded number of agents at a time); resolves when every agent is streaming. */
export async function startDemoFleet(o: DemoFleetOptions): Promise<DemoFleet> {
  mkdirSync(DEMO_SPOOL, { recursive: true });
  const res = await fetch(`${o.httpUrl}/api/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${o.apiToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ labels: { demo: 'true' }, uses: o.agents, ttl: '1h' }),
  });
  const body = (await res.json().catch(() => ({}))) as { token?: string };
  if (!res.ok || !body.token)
    throw new Error(`creating the demo enrollment token failed: HTTP ${res.status} ${JSON.stringify(body)}`);
  const token = body.token;
  const hosts: DemoHost[] = [];
  const timers: NodeJS.Timeout[] = [];
  const log = o.logger;
  // one session per model version for the whole fleet (shared-engine.ts): loading, planning and warming up each
  // agent's own copy was most of the start-up
  const engine = createSharedEngine(createEngine());

  async function startOne(index: number): Promise<DemoHost> {
    const { hostname, labels } = demoLabels(index);
    const faults: Faults = { heatUntil: 0, serviceDown: null, diskFilling: false };
    const inventory = {
      hostname,
      os: 'Debian GNU/Linux 12 (simulated)',
      kernel: '6.1.0-demo',
      cpus: 16,
      memoryGiB: 64,
      disks: demoDisks(index),
      services: ['nginx', 'postgresql'].slice(0, labels.role === 'db' ? 2 : 1),
    };
    const stateDir = join(o.stateDir, `agent-${index}`);
    const creds = await enroll({
      server: o.httpUrl,
      token,
      stateDir,
      agentVersion: AGENT_VERSION,
      labels,
      hostname,
      inventory,
    });
    const config = loadAgentConfig({
      overrides: {
        stateDir,
        cycleSeconds: o.cycleSeconds ?? 2,
        logLevel: 'warn',
        labels,
        server: { url: o.httpUrl, mqttUrl: o.mqttUrl },
        drainSeconds: 1,
      },
    });
    const inference = await createInference({
      engine,
      stateDir: join(stateDir, 'infer'),
      include: isModelFeature,
    });
    await inference.start();
    const healConfig = loadHealConfig({
      stateDir: join(stateDir, 'heal'),
      labels: { ...labels, hostname },
      allowedActions: ['notify', 'cordon', 'restart-service', 'free-disk', 'rotate-log', 'truncate-log'],
      allowedDirs: [DEMO_SPOOL],
    });
    const healer = await createHealer({ config: healConfig, serviceManager: createDemoServiceManager(faults) });
    let agent: Agent | null = null;
    const fleet = createFleetHandlers({
      credentials: creds,
      healer,
      inference,
      stateDir,
      emit: (e) => agent?.emit(e),
      publishState: (state) => agent?.link.publishState(state),
    });
    agent = await createAgent(config, {
      credentials: creds,
      source: createDemoSource({ index, speedup: o.speedup ?? 60, faults, inventory }),
      stages: [
        createInferStage(inference),
        faultObserver(
          createHealStage(healer, () => agent?.link.status().state === 'connected'),
          faults,
        ),
      ],
      outbox: createMemoryOutbox({ maxRecords: 20_000, maxBytes: 32 * 1024 * 1024 }),
      statusFile: false,
      logger: log.child({ host: hostname }),
      handlers: fleet.handlers,
    });
    await agent.start();
    await fleet.state.publish();
    return { index, hostname, labels, faults, agent, agentId: creds.agentId };
  }

  // A pool of ENROLL_CONCURRENCY agents joining at a time (not batches that wait for their slowest): enrollment and the
  // MQTT connect wait on the control plane in this same process, so more at once only queues there.
  const started: DemoHost[] = new Array(o.agents);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < o.agents) {
      const index = next++;
      started[index] = await startOne(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(ENROLL_CONCURRENCY, o.agents) }, worker));
  hosts.push(...started);

  const fleet: DemoFleet = {
    hosts,
    heatRack(rack, ms) {
      const hit = hosts.filter((h) => h.labels.rack === rack);
      for (const h of hit) {
        h.faults.heatUntil = Date.now() + ms;
        // What a thermal threshold alarm would report; the correlator groups these by rack.
        h.agent.emit(
          eventBody('sensors.temp-high', {
            severity: 'warning',
            message: `CPU package above 75 °C (simulated heat wave on rack ${rack})`,
            data: { sensor: 'cpu.temp_package_c', rack },
          }),
        );
      }
      log.info({ rack, hosts: hit.length }, 'demo: rack heat wave');
      return hit;
    },
    stopService(host, service) {
      host.faults.serviceDown = service;
      host.agent.emit(
        eventBody('service.stopped', {
          severity: 'warning',
          message: `${service} stopped unexpectedly (simulated)`,
          data: { service },
        }),
      );
    },
    fillDisk(host) {
      host.faults.diskFilling = true;
    },
    async stop() {
      for (const t of timers) clearInterval(t);
      await Promise.all(hosts.map((h) => h.agent.stop().catch(() => undefined)));
    },
  };

  if (o.schedule ?? true) {
    // Every 45 s a web host loses nginx; every 90 s a host's disk starts filling; every 4 min one rack heats up.
    let tick = 0;
    const web = hosts.filter((h) => h.labels.role === 'web');
    const racks = [...new Set(hosts.map((h) => h.labels.rack!))];
    timers.push(
      setInterval(() => {
        tick++;
        if (web.length && tick % 3 === 0) fleet.stopService(web[(tick / 3) % web.length]!, 'nginx');
        if (tick % 6 === 0) fleet.fillDisk(hosts[(tick * 7) % hosts.length]!);
        if (racks.length && tick % 16 === 1) fleet.heatRack(racks[Math.floor(tick / 16) % racks.length]!, 90_000);
      }, 15_000),
    );
  }
  return fleet;
}
