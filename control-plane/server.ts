/**
 * The control plane: database, signing key, admin bootstrap, enrollment, MQTT broker (TCP/TLS + WebSocket), ingest
 * and the HTTP API, with an explicit lifecycle. SIGTERM handling belongs to the CLI (cli/server-command.ts).
 */
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { listenOn } from './listen.ts';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { randomBytes } from 'node:crypto';
import { createAdaptorServer } from '@hono/node-server';
import type { MiddlewareHandler } from 'hono';
import { pino, type Logger } from 'pino';
import { loadServerConfig, type ServerConfig, type ServerConfigInput } from './config/server-config.ts';
import { resolveDatabaseTarget } from './db/database.ts';
import { openStore } from './store/prisma-store.ts';
import type { Store } from './store/ports.ts';
import { loadOrCreateSigningKey, type SigningKey } from './keys/signing-key.ts';
import { bootstrapAdmin, type AdminCredentials } from './admin/bootstrap.ts';
import { createCounters, type Counters } from './metrics/counters.ts';
import { createIngester, type Ingester } from './ingest/ingester.ts';
import { createAuthenticator, INTERNAL_USERNAME } from './broker/authenticate.ts';
import { createBroker } from './broker/broker.ts';
import { createExternalBroker } from './broker/external-broker.ts';
import type { Broker } from './broker/port.ts';
import { httpAuthRoutes } from './broker/http-auth.ts';
import { alwaysLeader, createPgLeadership, type Leadership } from './replicas/leader.ts';
import { createEnrollment, type Enrollment } from './enrollment/enrollment.ts';
import { createSecretRotation } from './enrollment/secret-rotation.ts';
import { createApiAuth } from './api/auth.ts';
import { createApi, type ApiMount, type FleetApiRoutes } from './api/app.ts';
import type { OpenIncidentsByHost } from './api/deps.ts';
import { createAgentArtifacts, type AgentArtifacts } from './downloads/agent-artifacts.ts';
import { downloadsRoutes } from './downloads/downloads-routes.ts';
import { installInfo } from './downloads/install-info.ts';
import { createLossLedger, type LossLedger } from './ingest/loss-ledger.ts';

export type ControlPlaneOptions = ServerConfigInput & {
  /** Logger (default: pino at `logLevel` to stderr). */
  logger?: Logger;
  /** The fleet module's typed routes (access, fleet, incidents), chained after the core ones. */
  fleetRoutes?: FleetApiRoutes;
  /** Extra untyped HTTP sub-apps (live stream, static UI, Prometheus metrics). */
  mounts?: ApiMount[];
  /** Middleware run before every HTTP route (e.g. the fleet module's access control). */
  middleware?: MiddlewareHandler[];
  /** Open incidents per host for `GET /api/hosts[/:id]` (the fleet module's); default none (field omitted). */
  openIncidentsByHost?: OpenIncidentsByHost;
};

export type ListeningUrls = { httpUrl: string; mqttUrl: string; wsUrl: string };

export type StartResult = ListeningUrls & {
  /** Plaintext admin credentials, only on the very first start (also in `<dataDir>/admin-credentials.json`). */
  adminCredentials: AdminCredentials | null;
};

export type ControlPlane = {
  readonly config: ServerConfig;
  readonly counters: Counters;
  /** Available after start(). */
  readonly store: Store;
  readonly broker: Broker;
  readonly enrollment: Enrollment;
  readonly signingKey: SigningKey;
  readonly ingester: Ingester;
  /** The agent artifacts served under /downloads (docs/agent-install.md). */
  readonly artifacts: AgentArtifacts;
  /** The URL other servers reach the HTTP API at (config `advertisedUrl`, else the listening address). */
  readonly advertisedUrl: string;
  /** Whether this replica runs the fleet singletons (always on SQLite; one replica at a time on PostgreSQL). */
  readonly leadership: Leadership;
  /** Credentials of the in-process MQTT client (full access), for other control-plane parts. */
  readonly internalMqtt: { username: string; password: string };
  start(): Promise<StartResult>;
  /** Graceful drain: stop accepting, flush the ingest queue (acks still go out), close broker, HTTP and DB. */
  stop(): Promise<void>;
  /** Deletes samples/events older than the retention window now. */
  prune(): Promise<{ samples: number; events: number }>;
};

/** Replica channel of host revocations (each replica's authenticator caches verified agents). */
const REVOKED_CHANNEL = 'revoked';
/** How often every host's loss accounting is recomputed for the `loss.*` gauges (it scans each host's seqs). */
const LOSS_SWEEP_MS = 10 * 60_000;
/** Replica channel of completed secret rotations (the old secret may sit in another replica's cache). */
const ROTATED_CHANNEL = 'secret-rotated';

/** Validates options (defaults applied; no environment read here — the CLI merges YAML and HOMEOSTAT_*). */
export async function createControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const { logger, mounts, middleware, openIncidentsByHost, fleetRoutes, ...input } = options;
  const config = loadServerConfig({ overrides: input, env: {} });
  const log = logger ?? pino({ level: config.logLevel, base: { component: 'control-plane' } }, pino.destination(2));
  const counters = createCounters();
  const internalSecret = randomBytes(24).toString('base64url');
  let store: Store | null = null;
  let broker: Broker | null = null;
  let enrollment: Enrollment | null = null;
  let signingKey: SigningKey | null = null;
  let ingester: Ingester | null = null;
  let http: Server | null = null;
  let urls: ListeningUrls | null = null;
  let advertisedUrl: string | null = null;
  const artifacts = createAgentArtifacts({
    dataDir: config.dataDir,
    signingKey: () => need(signingKey, 'signingKey'),
    log,
  });
  let pruneTimer: NodeJS.Timeout | null = null;
  let loss: LossLedger | null = null;
  let leadership: Leadership | null = null;
  let state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';

  const need = <T>(v: T | null, what: string): T => {
    if (v === null) throw new Error(`${what} is available only after start()`);
    return v;
  };

  async function prune() {
    const r = await need(store, 'store').telemetry.prune(Date.now() - config.retention);
    counters.inc('retention.pruned.samples', r.samples);
    counters.inc('retention.pruned.events', r.events);
    if (r.samples || r.events) log.info(r, 'retention prune');
    return r;
  }

  async function start(): Promise<StartResult> {
    if (state !== 'new') throw new Error(`start() called in state '${state}'`);
    state = 'starting';
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    signingKey = loadOrCreateSigningKey(config.dataDir);
    store = await openStore(resolveDatabaseTarget(config.databaseUrl, config.dataDir));
    // After a crash nobody is connected yet; agents re-announce on reconnect. Not with an external broker: the
    // sessions live there (and in other replicas), and an agent's will announces when it goes offline.
    if (config.broker.mode === 'embedded') await store.hosts.markAllOffline();
    leadership =
      store.provider === 'postgres' && config.databaseUrl
        ? createPgLeadership({ url: config.databaseUrl, log, counters, retryMs: config.leaderRetry })
        : alwaysLeader();
    const adminCredentials = await bootstrapAdmin(store, config.dataDir);
    const s = store;
    const ing = createIngester({
      store: s,
      counters,
      log,
      capacity: config.ingest.queueCapacity,
      batchSize: config.ingest.batchSize,
      maxQueueBytes: config.ingest.maxQueueBytes,
      lingerMs: config.ingest.lingerMs,
      publishAck: (agentId, ranges, rejected) => {
        broker
          ?.publishCommand(agentId, { v: 1, type: 'ack', ranges, ...(rejected ? { rejected } : {}) })
          .catch((err) => log.warn({ err, agentId }, 'ack publish failed'));
      },
    });
    ingester = ing;
    ing.start();
    const authenticator = createAuthenticator({
      hosts: s.hosts,
      internalSecret,
      counters,
      // the other replicas' caches (HTTP hook) forget the agent's old secret too
      onSecretRotated: (agentId) => {
        log.info({ agentId }, 'agent secret rotated');
        broker?.replicas?.publish(ROTATED_CHANNEL, agentId);
      },
    });
    broker =
      config.broker.mode === 'external'
        ? await createExternalBroker({
            url: config.broker.url!,
            username: config.broker.username,
            password: config.broker.password,
            dynsec: config.broker.dynsec,
            shareGroup: config.broker.shareGroup,
            agentUrl: config.advertise.mqttUrl,
            revokedAgents: async () => (await s.hosts.list()).filter((h) => h.revokedAt).map((h) => h.id),
            ingester: ing,
            counters,
            log,
            maxWaitMs: config.ingest.maxWaitMs,
          })
        : await createBroker({
            host: config.host,
            mqttPort: config.mqttPort,
            wsPort: config.wsPort,
            tls: config.tls?.mqtt ? config.tls : undefined,
            authenticator,
            ingester: ing,
            counters,
            log,
            maxWaitMs: config.ingest.maxWaitMs,
            maxAckHoldMs: config.broker.maxAckHoldMs,
            limits: {
              maxConnections: config.broker.maxConnections,
              maxConnectionsPerAddress: config.broker.maxConnectionsPerAddress,
              connectTimeoutMs: config.broker.connectTimeout,
            },
          });
    const b = broker;
    const brokerUrls = await b.listen();
    const advertiseHost = config.host === '0.0.0.0' || config.host === '::' ? hostname() : null;
    const advertised = {
      mqttUrl:
        config.advertise.mqttUrl ??
        (advertiseHost ? brokerUrls.mqttUrl.replace(/\/\/[^:]+:/, `//${advertiseHost}:`) : brokerUrls.mqttUrl),
      wsUrl:
        config.advertise.wsUrl ??
        (advertiseHost ? brokerUrls.wsUrl.replace(/\/\/[^:]+:/, `//${advertiseHost}:`) : brokerUrls.wsUrl),
    };
    await b.replicas?.subscribe(REVOKED_CHANNEL, (id) => authenticator.revoke(id.toString('utf8')));
    await b.replicas?.subscribe(ROTATED_CHANNEL, (id) => authenticator.forget(id.toString('utf8')));
    enrollment = createEnrollment({
      store: s,
      publicKeyPem: signingKey.publicKeyPem,
      defaultTtlMs: config.enrollment.defaultTtl,
      tls: config.tls ? { caPem: config.tls.caPem, caSha256: config.tls.caSha256 } : undefined,
      urls: () => advertised,
      onHostEnrolled: (agentId, secret) => b.provisionAgent(agentId, secret),
      onHostRevoked: async (agentId) => {
        authenticator.revoke(agentId);
        b.replicas?.publish(REVOKED_CHANNEL, agentId); // the other replicas' caches (HTTP hook) forget it too
        await b.revokeAgent(agentId);
        counters.inc('hosts.revoked');
      },
    });
    const key = signingKey;
    const downloads = downloadsRoutes({
      artifacts,
      advertisedUrl: () => need(advertisedUrl, 'advertisedUrl'),
      publicKeyPem: () => key.publicKeyPem,
      caPem: config.tls?.caPem,
    });
    // The HTTP authentication/ACL hook for brokers that ask a web service (broker/http-auth.ts), when configured.
    const brokerHook: ApiMount[] = config.broker.httpAuthSecret
      ? [
          {
            path: '/',
            app: httpAuthRoutes({
              secret: config.broker.httpAuthSecret,
              authenticator,
              counters,
              superuser:
                config.broker.username && config.broker.password
                  ? { username: config.broker.username, password: config.broker.password }
                  : undefined,
            }),
          },
        ]
      : [];
    const rotation = createSecretRotation({
      hosts: s.hosts,
      signingKey: key,
      rotateBrokerAccount: (agentId, secret) => b.rotateAgentSecret(agentId, secret),
      publishCommand: (agentId, command) => b.publishCommand(agentId, command),
      onPromoted: (agentId) => {
        counters.inc('broker.auth.secret-rotated');
        log.info({ agentId }, 'agent secret rotated (the agent named it in its presence)');
        authenticator.forget(agentId);
        b.replicas?.publish(ROTATED_CHANNEL, agentId);
      },
    });
    // A pending rotation is completed or sent again (enrollment/secret-rotation.ts) at the agent's own presence: it
    // publishes that (with its version) once subscribed to its command topic (agent/link/mqtt-link.ts). The broker's
    // presence at CONNECT has no version; a command sent then could reach the broker before the agent's subscription
    // and be lost (clean session).
    ing.onPresence(async (agentId, p) => {
      if (p.state !== 'online' || p.agentVersion === undefined) return;
      const outcome = await rotation.onPresence(agentId, p);
      if (outcome === 'resent') log.info({ agentId }, 'pending secret rotation sent');
    });
    loss = createLossLedger(s.telemetry);
    const ledger = loss;
    const app = createApi(
      {
        store: s,
        loss: ledger,
        enrollment,
        auth: createApiAuth(s.users),
        counters,
        log,
        ...(openIncidentsByHost ? { openIncidentsByHost } : {}),
        secretRotation: rotation,
        installInfo: () =>
          installInfo({
            advertisedUrl: need(advertisedUrl, 'advertisedUrl'),
            fromConfig: config.advertisedUrl !== undefined,
            publicKeyPem: key.publicKeyPem,
            artifacts: artifacts.available(),
            ...(config.tls ? { tls: config.tls } : {}),
          }),
        gauges: () => ({
          'ingest.queue.depth': ing.depth,
          'ingest.queue.capacity': ing.capacity,
          'ingest.queue.waiting': ing.waiting,
          'ingest.queue.limit': ing.limit,
          ...(b.connectedClients === null ? {} : { 'broker.clients.connected': b.connectedClients }),
          'replica.leader': leadership?.isLeader ? 1 : 0,
          ...ledger.gauges(),
        }),
      },
      {
        ...(fleetRoutes ? { fleetRoutes } : {}),
        mounts: [{ path: '/', app: downloads }, ...brokerHook, ...(mounts ?? [])],
        ...(middleware ? { middleware } : {}),
      },
    );
    // HTTPS when a certificate is configured (docs/tls.md): the API, the UI and the downloads.
    http = (
      config.tls
        ? createAdaptorServer({
            fetch: app.fetch,
            createServer: createHttpsServer,
            serverOptions: { cert: config.tls.certPem, key: config.tls.keyPem },
          })
        : createAdaptorServer({ fetch: app.fetch })
    ) as Server;
    const httpServer = http;
    const httpPort = await listenOn(httpServer, config.httpPort, config.host, 'httpPort');
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const scheme = config.tls ? 'https' : 'http';
    urls = { httpUrl: `${scheme}://${host}:${httpPort}`, ...brokerUrls };
    advertisedUrl = config.advertisedUrl ?? (advertiseHost ? `${scheme}://${advertiseHost}:${httpPort}` : urls.httpUrl);
    artifacts.find();
    pruneTimer = setInterval(() => {
      if (!leadership?.isLeader) return; // one replica prunes
      prune().catch((err) => log.error({ err }, 'retention prune failed'));
    }, config.pruneInterval);
    pruneTimer.unref();
    ledger.start(async () => (await s.hosts.list()).map((h) => h.id), LOSS_SWEEP_MS, log);
    state = 'running';
    log.info({ ...urls, dataDir: config.dataDir, database: s.provider }, 'control plane listening');
    return { ...urls, adminCredentials };
  }

  async function stop(): Promise<void> {
    if (state === 'stopped' || state === 'stopping' || state === 'new') {
      state = 'stopped';
      return;
    }
    state = 'stopping';
    if (pruneTimer) clearInterval(pruneTimer);
    loss?.stop();
    const closeHttp = http
      ? new Promise<void>((r) => {
          http!.close(() => r());
          http!.closeAllConnections?.();
        })
      : Promise.resolve();
    await broker?.stopAccepting();
    await ingester?.stop();
    await broker?.close();
    await leadership?.stop();
    await closeHttp;
    await store?.close();
    state = 'stopped';
    log.info('control plane stopped');
  }

  return {
    config,
    counters,
    get store() {
      return need(store, 'store');
    },
    get broker() {
      return need(broker, 'broker');
    },
    get enrollment() {
      return need(enrollment, 'enrollment');
    },
    get leadership() {
      return need(leadership, 'leadership');
    },
    get signingKey() {
      return need(signingKey, 'signingKey');
    },
    artifacts,
    get advertisedUrl() {
      return need(advertisedUrl, 'advertisedUrl');
    },
    get ingester() {
      return need(ingester, 'ingester');
    },
    internalMqtt: { username: INTERNAL_USERNAME, password: internalSecret },
    start,
    stop,
    prune,
  };
}
