/**
 * Fills a demo's pages with the cards a plain demo does not show, through the real API and the real agents, so that
 * layout (390 px) and accessibility checks see them: a host with a ~60-character hostname (a real agent enrolled
 * with a token and connected over MQTT), a policy set and a policy with ~60-character names and a long condition,
 * rolled out through its health gate (completed), then a second version halted and rolled back (a rollback
 * rollout) and a third still soaking on the long-named host (in progress); pending approvals of that policy on web
 * hosts whose nginx stopped (several, so the bulk decision shows) and on the long-named host, and one denied with a
 * long reason; a model canary soaking on one host (its canary-versus-baseline card); a critical escalation from the
 * long-named host (an incident once the correlator's hold passes).
 */
import { join } from 'node:path';
import { pino } from 'pino';
import { createAgent, AGENT_VERSION, type Agent } from '../../agent/agent.ts';
import { loadAgentConfig } from '../../agent/config/load.ts';
import { enroll } from '../../agent/enroll/enroll.ts';
import { createMemoryOutbox } from '../../agent/link/outbox/memory-store.ts';
import { createDemoSource } from '../../control-plane/compose/demo-source.ts';
import type { Demo } from '../../control-plane/compose/demo-command.ts';
import type { DemoHost } from '../../control-plane/compose/demo-fleet.ts';
import { eventBody } from '../../contract/protocol/events.ts';
import { ANOMALY_CARD, adminApi, uploadAnomalyModel, waitFor } from './browser-support.ts';

/** ~60 characters each, without a space to break at. */
export const LONG_HOST = 'edge-cache-frankfurt-01.eu-central.storage.example-company.net';
export const LONG_POLICY = 'restart-nginx-on-the-frankfurt-edge-web-tier-with-approval-v2';
export const LONG_RULE = 'restart-nginx-when-it-stays-down-after-a-configuration-reload';
/** The model version the canary runs (`anomaly-multi@<CANARY_VERSION>`). */
export const CANARY_VERSION = `${ANOMALY_CARD.version}-canary-with-a-rather-long-version-suffix`;

const source = (forSeconds: number) =>
  `policies:
  - name: ${LONG_RULE}
    description: Restarts nginx on the edge web tier when it stays down; a person approves each restart.
    when:
      any:
        - { service: nginx, for: ${forSeconds}s }
        - { process: { name: 'nginx-worker-process-with-a-rather-long-name-*' }, cpuPctAbove: 99, for: 10m }
    do:
      - type: restart-service
        service: nginx
    guards: { requireApproval: true, cooldown: 5s }
`;

export type Filled = {
  /** The real agent with the long hostname. */
  longHost: { agentId: string; hostname: string; agent: Agent };
  /** The model canary's host. */
  canaryHost: DemoHost;
  /** Web hosts whose nginx was stopped (each asks for approval). */
  waiting: DemoHost[];
  /** Stops the long-named host's agent (before the demo stops). */
  stop(): Promise<void>;
};

type ApiRollout = { id: string; status: string; rollback?: boolean; version: string };
const rollout = (demo: Demo, id: string) => adminApi(demo, 'GET', `/api/rollouts/${id}`) as Promise<ApiRollout>;

/** Enrolls and starts a real agent named {@link LONG_HOST} (demo trace, no healer or models; it reports state). */
async function startLongHost(demo: Demo): Promise<Filled['longHost']> {
  const labels = { role: 'edge-cache', rack: 'fra1-r99-cold-aisle-east-row-14-position-03', datacenter: 'fra1' };
  const { token } = await adminApi(demo, 'POST', '/api/tokens', { labels, uses: 1, ttl: '1h' });
  const stateDir = join(demo.dataDir, 'long-host');
  const inventory = {
    hostname: LONG_HOST,
    os: 'Debian GNU/Linux 12 (bookworm) with a long distribution description',
    kernel: '6.1.0-28-cloud-amd64-with-a-long-local-version-suffix',
    cpus: 8,
    memoryGiB: 32,
    services: ['nginx'],
  };
  const credentials = await enroll({
    server: demo.httpUrl,
    token,
    stateDir,
    agentVersion: AGENT_VERSION,
    labels,
    hostname: LONG_HOST,
    inventory,
  });
  const config = loadAgentConfig({
    overrides: { stateDir, cycleSeconds: 2, logLevel: 'warn', labels, server: { url: demo.httpUrl }, drainSeconds: 1 },
  });
  const agent = await createAgent(config, {
    credentials,
    source: createDemoSource({
      index: 97,
      speedup: 60,
      faults: { heatUntil: 0, serviceDown: null, diskFilling: false },
      inventory,
    }),
    outbox: createMemoryOutbox({ maxRecords: 5_000, maxBytes: 8 * 1024 * 1024 }),
    statusFile: false,
    logger: pino({ level: 'silent' }),
  });
  await agent.start();
  return { agentId: credentials.agentId, hostname: LONG_HOST, agent };
}

/** A finished rollout with its gate's result, then a halted second version rolled back. */
async function rollOutPolicy(demo: Demo): Promise<void> {
  const api = (method: string, path: string, body?: unknown) => adminApi(demo, method, path, body);
  const base = `/api/policies/${LONG_POLICY}`;
  const v1 = await api('POST', `${base}/versions`, { source: source(1), comment: 'first version, with approval' });
  const first: ApiRollout = await api('POST', `${base}/publish`, {
    version: v1.version,
    selector: 'role=web',
    // one wave: each wave's gate waits ~10 s for proof that its hosts still run (control-plane/fleet/health-gate.ts)
    percents: [100],
    soak: '1s',
  });
  await waitFor(
    'the first policy rollout completed',
    async () => (await rollout(demo, first.id)).status === 'completed',
  );

  const v2 = await api('POST', `${base}/versions`, { source: source(2), comment: 'a longer hold' });
  const second: ApiRollout = await api('POST', `${base}/publish`, {
    version: v2.version,
    selector: 'role=web',
    percents: [100],
    soak: '1h',
  });
  await waitFor('the second rollout soaking', async () => (await rollout(demo, second.id)).status === 'soaking');
  await api('POST', `/api/rollouts/${second.id}/halt`);
  await api('POST', `/api/rollouts/${second.id}/rollback`);
  await waitFor('the rollback completed', async () => {
    const all = (await api('GET', `/api/rollouts?subject=${LONG_POLICY}`)).rollouts as ApiRollout[];
    return all.some((r) => r.rollback && r.status === 'completed');
  });
}

/** In progress: a third version to the long-named host, which runs no healer, so it never acknowledges and the wave
 * soaks for an hour. */
async function rollOutToLongHost(demo: Demo): Promise<void> {
  const base = `/api/policies/${LONG_POLICY}`;
  const v3 = await adminApi(demo, 'POST', `${base}/versions`, { source: source(3), comment: 'edge hosts' });
  const third: ApiRollout = await adminApi(demo, 'POST', `${base}/publish`, {
    version: v3.version,
    selector: `hostname=${LONG_HOST}`,
    percents: [100],
    soak: '1h',
  });
  await waitFor('the third rollout soaking', async () => (await rollout(demo, third.id)).status === 'soaking');
}

/** A model canary on `host`, soaking for an hour; resolves once the host runs it. */
async function canary(demo: Demo, host: DemoHost): Promise<void> {
  await uploadAnomalyModel(demo, CANARY_VERSION);
  await adminApi(demo, 'POST', `/api/models/${encodeURIComponent(`anomaly-multi@${CANARY_VERSION}`)}/publish`, {
    selector: '',
    canaries: [host.hostname],
    percents: [100],
    soak: '1h',
  });
  await waitFor('the canary host on the canary model', async () => {
    const h = await adminApi(demo, 'GET', `/api/hosts/${host.agentId}`);
    return h.appliedModels?.['anomaly-multi'] === CANARY_VERSION;
  });
}

/**
 * Fills `demo` (see the module comment); `stopNginxOn` web hosts ask for approval. Resolves once every card is there
 * (the long host's incident excepted: it opens after the correlator's hold).
 */
export async function fillPages(demo: Demo, stopNginxOn = 2): Promise<Filled> {
  const hosts = demo.fleet.hosts;
  const canaryHost = hosts.find((h) => h.labels.role === 'db') ?? hosts[0]!;
  const waiting = hosts.filter((h) => h.labels.role === 'web').slice(0, stopNginxOn);
  const bundled = await waitFor('the canary host on the bundled model', async () => {
    const h = await adminApi(demo, 'GET', `/api/hosts/${canaryHost.agentId}`);
    return (h.appliedModels?.['anomaly-multi'] as string | undefined) ?? null;
  });
  const [longHost] = await Promise.all([startLongHost(demo), canary(demo, canaryHost), rollOutPolicy(demo)]);
  // The long-named host reports the bundled model and the first policy version as applied.
  longHost.agent.link.publishState({
    policyVersion: `${LONG_POLICY}@1`,
    models: { 'anomaly-multi': bundled },
    errors: [],
  });
  await rollOutToLongHost(demo);

  // The web hosts run the first version again (the rollback): nginx stops, each asks to restart it.
  for (const h of waiting) demo.fleet.stopService(h, 'nginx');
  const ask = (requestId: string, message: string) =>
    longHost.agent.emit(
      eventBody('heal.approval-requested', {
        severity: 'warning',
        message,
        data: { policy: LONG_RULE, requestId, actions: [{ type: 'restart-service' }] },
      }),
    );
  ask(
    'long-host-1',
    `policy ${LONG_RULE} requires approval to restart nginx on ${LONG_HOST} (the service stayed down after /etc/nginx/sites-enabled/very-long-virtual-host-configuration-file-name.conf was reloaded)`,
  );
  ask('long-host-2', `policy ${LONG_RULE} requires approval`);
  longHost.agent.emit(
    eventBody('heal.escalated', {
      severity: 'critical',
      message: `${LONG_RULE} escalated after 3 attempts on ${LONG_HOST}: /var/lib/homeostat/journal/restart-nginx-when-it-stays-down.jsonl`,
      data: { policy: LONG_RULE },
    }),
  );
  type ApiApproval = { id: string; requestId: string; status: string };
  const denied = await waitFor('the long host asking twice', async () => {
    const list = (await adminApi(demo, 'GET', '/api/approvals')).approvals as ApiApproval[];
    return list.find((a) => a.requestId === 'long-host-2') ?? null;
  });
  await adminApi(demo, 'POST', `/api/approvals/${denied.id}/decide`, {
    approved: false,
    reason: `Denied: ${LONG_HOST} is being drained for the storage migration; see ticket OPS-123456789-frankfurt-edge-cache-storage-migration`,
  });
  await waitFor('every approval request', async () => {
    const list = (await adminApi(demo, 'GET', '/api/approvals')).approvals as ApiApproval[];
    return list.filter((a) => a.status === 'pending').length >= waiting.length + 1;
  });
  return { longHost, canaryHost, waiting, stop: () => longHost.agent.stop() };
}
