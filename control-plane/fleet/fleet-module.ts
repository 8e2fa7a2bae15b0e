/**
 * Wires the fleet intelligence into a control plane: access control (one middleware for every route), sessions and
 * users, audit, policies and rollouts, the model registry, correlation/incidents/silences/approvals/breaker,
 * webhooks and `GET /metrics`. Created before the control plane (its middleware, routes and open-incident counts for
 * `GET /api/hosts` are passed to createControlPlane), attached after `start()` (services need the database, broker
 * and signing key).
 *
 *   const fleet = createFleetModule();
 *   const cp = await createControlPlane({ ...opts, fleetRoutes: fleet.routes, mounts: fleet.mounts, middleware: [fleet.middleware],
 *     openIncidentsByHost: fleet.openIncidentsByHost });
 *   await cp.start(); await fleet.attach(cp);   …   await fleet.stop(); await cp.stop();
 */
import { join } from 'node:path';
import { Hono, type MiddlewareHandler } from 'hono';
import { pino, type Logger } from 'pino';
import type { ControlPlane } from '../server.ts';
import { createAccessMiddleware, type AccessEnv } from '../access/access-middleware.ts';
import { accessRoutes } from '../access/access-routes.ts';
import { createAuditLog, type AuditLog } from '../access/audit-log.ts';
import { createAuthenticator } from '../access/authenticator.ts';
import { createSessions, type Sessions } from '../access/sessions.ts';
import { createApiAuth } from '../api/auth.ts';
import type { ApiMount, FleetApiRoutes } from '../api/app.ts';
import {
  createIncidentService,
  type IncidentService,
  type IncidentServiceOptions,
} from '../correlate/incident-service.ts';
import { incidentRoutes } from '../correlate/incident-routes.ts';
import { createApprovalExpiry, DEFAULT_APPROVAL_TTL_MS, type ApprovalExpiry } from '../correlate/approval-expiry.ts';
import { createNotifier, type Notifier } from '../notify/notifier.ts';
import { createWebhookSender, type WebhookSenderOptions } from '../notify/webhook-sender.ts';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from '../metrics/prometheus.ts';
import type { FleetContext } from './context.ts';
import { createLoginThrottle } from '../access/login-throttle.ts';
import { createSharedThrottle } from '../replicas/shared-throttle.ts';
import { fleetRoutes } from './fleet-routes.ts';
import { createModelRegistry, type BundledModels, type ModelRegistry } from './model-registry.ts';
import { createAgentVersions, type AgentVersions } from './agent-versions.ts';
import type { ModelVerifier } from './model-check.ts';
import { createPolicyStore, type PolicyStore } from './policy-store.ts';
import { createRolloutService, type RolloutService } from './rollout-service.ts';
import { isNoPolicy } from './rollout-resume.ts';
import { ServiceUnavailableError } from './unavailable.ts';
import { RUNNING_STATUSES } from '../repositories/rollout-repository.ts';
import { createRefitJobs, type RefitJobs, type Refitter } from './refit-jobs.ts';

const noRefitter: Refitter = async () => {
  throw new Error(
    'this control plane was started without a model refitter (homeostat server, start and demo have one)',
  );
};

/** Options; defaults: real clock, 5 s tick, externalURL = the control plane's HTTP URL. */
export interface FleetModuleOptions {
  now?: () => number;
  /** Polling period of rollouts and correlation (default 5000 ms); 0 = no timer (tests call tick()). */
  tickMs?: number;
  externalURL?: string;
  webhook?: WebhookSenderOptions;
  incidents?: IncidentServiceOptions;
  secureCookies?: boolean;
  featureSchemas?: readonly string[];
  /** Checks the agents' JS engine on each registered model (control-plane/compose/model-verifier.ts); without one,
   * models are registered "unverified". */
  modelVerifier?: ModelVerifier;
  /** The models bundled with the agent (control-plane/compose/bundled-models.ts), registered when a rollout first
   * sends one (a rollback to what the hosts ran before their first model rollout); without, such a rollback is 409. */
  bundledModels?: BundledModels;
  /** Refits models from the fleet's stored samples (control-plane/compose/refit.ts); without one, refit jobs fail
   * saying so. */
  refitter?: Refitter;
  /** Pending approval requests expire after this long (default 24 h; config `approvals.expireAfter`). */
  approvalTtlMs?: number;
}

/** The attached services (for tests and the CLI). */
export interface FleetServices {
  ctx: FleetContext;
  policies: PolicyStore;
  rollouts: RolloutService;
  models: ModelRegistry;
  agentVersions: AgentVersions;
  incidents: IncidentService;
  notifier: Notifier;
  audit: AuditLog;
  sessions: Sessions;
  refits: RefitJobs;
  approvalExpiry: ApprovalExpiry;
}

/** Creates the module (not yet attached). */
export function createFleetModule(options: FleetModuleOptions = {}) {
  const now = options.now ?? Date.now;
  let s: FleetServices | null = null;
  let cp: ControlPlane | null = null;
  let timer: NodeJS.Timeout | null = null;
  let ticking: Promise<void> | null = null;
  let resolve:
    | ((c: Parameters<MiddlewareHandler>[0]) => Promise<import('../access/principal.ts').Principal | null>)
    | null = null;
  const need = (): FleetServices => {
    if (!s) throw new ServiceUnavailableError('fleet services are starting');
    return s;
  };

  const middleware = createAccessMiddleware({
    resolve: (c) => {
      if (!resolve) throw new ServiceUnavailableError('access control is starting');
      return resolve(c);
    },
    audit: async (e) => {
      if (s) await s.audit.record(e);
    },
    hostnameOf: async (id) => (cp ? ((await cp.store.hosts.get(id))?.hostname ?? null) : null),
  }) satisfies MiddlewareHandler;

  // Shared with the other replicas once attached behind an external broker (replicas/shared-throttle.ts).
  const throttle = createSharedThrottle(createLoginThrottle({ now }));
  const lazy = {
    get roles() {
      return need().ctx.repos.roles;
    },
    get webhooks() {
      return need().ctx.repos.webhooks;
    },
    get users() {
      return cp!.store.users;
    },
    get sessions() {
      return need().sessions;
    },
    get audit() {
      return need().audit;
    },
    get policies() {
      return need().policies;
    },
    get rollouts() {
      return need().rollouts;
    },
    get models() {
      return need().models;
    },
    get agentVersions() {
      return need().agentVersions;
    },
    get incidents() {
      return need().incidents;
    },
    get refits() {
      return need().refits;
    },
    get notifier() {
      return need().notifier;
    },
    approvalTtlMs: options.approvalTtlMs ?? DEFAULT_APPROVAL_TTL_MS,
    secureCookies: options.secureCookies ?? false,
    throttle,
  };

  const metricsApp = new Hono<AccessEnv>().get('/metrics', async (c) => {
    const plane = cp;
    if (!plane || !s) throw new ServiceUnavailableError('control plane is starting');
    const repos = s.ctx.repos;
    const hosts = await plane.store.hosts.counts();
    const gauges: Record<string, number> = {
      'ingest.queue.depth': plane.ingester.depth,
      'ingest.queue.capacity': plane.ingester.capacity,
      ...(plane.broker.connectedClients === null ? {} : { 'broker.clients.connected': plane.broker.connectedClients }),
      'agents.online': hosts.online,
      'agents.enrolled': hosts.enrolled,
      'incidents.open': await repos.incidents.count('open'),
      'rollouts.running': await repos.rollouts.count(RUNNING_STATUSES),
      'approvals.pending': await repos.approvals.count('pending'),
      'correlator.pending_signals': s.incidents.correlator.stats().pending,
    };
    const n = s.notifier.stats();
    const counters = {
      ...plane.counters.snapshot(),
      'webhooks.delivered': n.delivered,
      'webhooks.delivery.failed.exhausted': n.failed,
      'notifications.inhibited': n.inhibited,
      'correlator.events.suppressed': s.incidents.correlator.stats().suppressed,
    };
    return c.body(renderPrometheus(counters, gauges), 200, { 'content-type': PROMETHEUS_CONTENT_TYPE });
  });

  async function tick(): Promise<void> {
    const svc = need();
    cp?.counters.inc('fleet.ticks');
    try {
      await svc.rollouts.tick();
    } catch (err) {
      svc.ctx.log.error({ err }, 'rollout tick failed');
    }
    try {
      await svc.incidents.tick();
    } catch (err) {
      svc.ctx.log.error({ err }, 'incident tick failed');
    }
    try {
      await svc.approvalExpiry.tick();
    } catch (err) {
      svc.ctx.log.error({ err }, 'approval expiry failed');
    }
  }

  return {
    middleware,
    /** The typed JSON routes, chained into the API's `AppType` (control-plane/api/app.ts). */
    routes: {
      access: accessRoutes(lazy),
      fleet: fleetRoutes(lazy),
      incidents: incidentRoutes(lazy),
    } satisfies FleetApiRoutes,
    /** Prometheus text at `GET /metrics` (not JSON, so not part of `AppType`). */
    mounts: [{ path: '/', app: metricsApp }] satisfies ApiMount[],
    /** Binds the services to a started control plane and starts the tick timer. */
    async attach(plane: ControlPlane, log?: Logger): Promise<FleetServices> {
      cp = plane;
      const store = plane.store;
      const audit = createAuditLog({ repo: store.audit, now });
      const ctx: FleetContext = {
        repos: store,
        hosts: store.hosts,
        publish: (id, cmd) => plane.broker.publishCommand(id, cmd),
        signingKey: plane.signingKey.privateKey,
        audit,
        now,
        log: log ?? pino({ level: plane.config.logLevel, base: { component: 'fleet' } }, pino.destination(2)),
        modelDir: join(plane.config.dataDir, 'models'),
      };
      const policies = createPolicyStore(ctx);
      const models = createModelRegistry(ctx, options.featureSchemas, options.modelVerifier, options.bundledModels);
      const agentVersions = createAgentVersions({ ctx, artifacts: plane.artifacts, key: () => plane.signingKey });
      const rollouts = createRolloutService(ctx, {
        policy: {
          intentKind: () => 'policy',
          async command(version) {
            const { policyCommand } = await import('../../contract/signing/bundle.ts');
            if (isNoPolicy(version)) {
              // "No policy": an empty signed set (a rollback of a set's first publish).
              const policySet = version.slice(0, -2);
              const document = { policies: [] };
              return policyCommand({ policySet, version, issuedAt: now(), document }, ctx.signingKey);
            }
            const v = await policies.byId(version);
            if (!v) throw new Error(`policy version ${version} vanished`);
            return policyCommand(
              { policySet: v.policySet, version: v.id, issuedAt: now(), document: v.document },
              ctx.signingKey,
            );
          },
          applied: (h) => h.appliedPolicyVersion,
        },
        model: {
          intentKind: (name) => `model:${name}`,
          command: (version) => models.command(version),
          applied: (h, name) => (h.appliedModels?.[name] ? `${name}@${h.appliedModels[name]}` : null),
        },
        agent: {
          intentKind: () => 'agent',
          command: (version, platform) => agentVersions.command(version, platform),
          // the version the agent runs, from its presence (it reconnects as the new version once restarted)
          applied: (h) => (h.online ? h.agentVersion : null),
          restartsAgent: true,
          platforms: (version) => agentVersions.platforms(version),
        },
      });
      const notifier = createNotifier({
        webhooks: store.webhooks,
        send: createWebhookSender({ now, ...options.webhook }),
        externalURL: options.externalURL ?? '',
        now,
      });
      const incidents = createIncidentService(ctx, notifier, options.incidents);
      await incidents.init();
      const sessions = createSessions({ repo: store.sessions, users: store.users, now });
      const apiAuth = createApiAuth(plane.store.users);
      resolve = createAuthenticator({
        users: store.users,
        roles: store.roles,
        sessions,
        hosts: store.hosts,
        bearer: (h) => apiAuth.authenticate(h),
      });
      const approvalExpiry = createApprovalExpiry(ctx, options.approvalTtlMs);
      const refits = createRefitJobs({
        repos: store,
        jobs: store.refits,
        models,
        rollouts,
        refitter: options.refitter ?? noRefitter,
        now,
        log: ctx.log,
      });
      s = {
        ctx,
        policies,
        rollouts,
        models,
        agentVersions,
        incidents,
        notifier,
        audit,
        sessions,
        refits,
        approvalExpiry,
      };
      // What a running rollout sent an agent while it was away (restarting: its clean session lost the command) is sent
      // again at its presence, which it publishes once subscribed (rollout-service.ts resendPending).
      plane.ingester.onPresence(async (agentId, p) => {
        if (p.state !== 'online' || p.agentVersion === undefined) return;
        try {
          const sent = await rollouts.resendPending(agentId);
          if (sent) ctx.log.info({ agentId, sent }, 'unacknowledged rollout command(s) sent again');
        } catch (err) {
          ctx.log.warn({ err, agentId }, 'resending rollout commands failed');
        }
      });
      // Records ingest set aside (a value the database refused) are audited, each naming agent, kind, seq and why.
      plane.ingester.onQuarantined((q) => {
        audit
          .record({
            actor: `agent:${q.agentId}`,
            actorType: 'agent',
            action: 'ingest.quarantined',
            target: q.agentId,
            detail: { kind: q.kind, seq: q.seq, reason: q.reason },
            at: q.at,
          })
          .catch((err) => ctx.log.warn({ err }, 'quarantine audit failed'));
      });
      // An agent's own cordon (its `heal.cordon` event) is audited like an operator's (docs/fleet.md "Cordoned hosts").
      plane.ingester.onCordoned((e) => {
        audit
          .record({
            actor: `agent:${e.hostId}`,
            actorType: 'agent',
            action: 'host.cordoned',
            target: `/api/hosts/${e.hostId}/cordon`,
            detail: { source: 'agent', reason: e.message ?? null, seq: e.seq, data: e.data },
          })
          .catch((err) => ctx.log.warn({ err }, 'cordon audit failed'));
      });
      if (plane.broker.replicas) await throttle.connect(plane.broker.replicas);
      const period = options.tickMs ?? 5000;
      // The rollout ticker and the correlator (with its webhooks) run on the leader only. A replica that becomes
      // leader restores open incidents and reads events from the newest stored one (as a fresh start does).
      plane.leadership.onChange((leader) => {
        if (leader && s)
          s.incidents.init().catch((err) => ctx.log.error({ err }, 'incident restore on leadership failed'));
      });
      if (period > 0) {
        timer = setInterval(() => {
          if (!plane.leadership.isLeader) return;
          if (!ticking)
            ticking = tick().finally(() => {
              ticking = null;
            });
        }, period);
        timer.unref();
      }
      return s;
    },
    /** Open incidents per host (for the core's `GET /api/hosts`); 503 until attached. */
    openIncidentsByHost: () => need().incidents.openCountsByHost(),
    /** Runs one rollout + correlation round now (tests, CLI). */
    tick,
    get services(): FleetServices {
      return need();
    },
    /** Stops the timer, waits for the running round and in-flight webhooks. */
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = null;
      await ticking;
      await s?.refits.stop();
      await s?.notifier.drain();
    },
  };
}
export type FleetModule = ReturnType<typeof createFleetModule>;
