/**
 * Composition root of a real agent: the live collection engine as the source, then the `infer` and `heal` stages,
 * and the fleet command handlers (signed policy bundles → healer, signed models → inference, approvals and pauses →
 * healer). `homeostat agent run` and `homeostat start` use it; tests and the demo fleet build agents from the
 * same parts with other sources.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ValidationError } from '../contract/errors.ts';
import { createAgent, type Agent, type AgentDeps } from './agent.ts';
import { collectConfig } from './collect/config.ts';
import { createCollectionEngine } from './collect/engine.ts';
import type { AgentConfig } from './config/schema.ts';
import type { Credentials } from './enroll/credentials.ts';
import { createFleetHandlers } from './fleet/fleet-handlers.ts';
import { previousVersion, runningVersion } from './fleet/install-layout.ts';
import { hostPlatform } from './fleet/platform.ts';
import { startUpgradeSession, type UpgradeSession } from './fleet/upgrade-session.ts';
import { loadHealConfig, type HealConfig } from './heal/config.ts';
import { createHealStage } from './heal/heal-stage.ts';
import { createHealer } from './heal/healer.ts';
import { createInferStage, isModelFeature } from './infer/infer-stage.ts';
import { createInference } from './infer/inference.ts';
import { createEngine } from './infer/engines.ts';
import type { SampleSource } from './pipeline/types.ts';

/** Validates the agent config's sections owned by collect and heal, reporting every problem at once. */
export function sectionConfigs(
  config: AgentConfig,
  credentials: Credentials,
): { collect: ReturnType<typeof collectConfig>; heal: HealConfig } {
  const issues: { path: string; message: string }[] = [];
  const heal = (() => {
    try {
      return loadHealConfig({
        stateDir: join(config.stateDir, 'heal'),
        ...config.heal,
        labels: { ...credentials.labels, ...config.labels, ...(config.heal['labels'] as object | undefined) },
      });
    } catch (err) {
      if (err instanceof ValidationError) issues.push(...err.issues);
      else throw err;
      return null;
    }
  })();
  const collect = (() => {
    // The healer's supervised services are observed through their pidfiles.
    const pidfiles: Record<string, string> = {};
    for (const s of heal?.services ?? [])
      pidfiles[s.name] = s.pidfile ?? join(heal!.stateDir, 'services', `${s.name}.pid`);
    const c = config.collectors as Record<string, unknown>;
    try {
      return collectConfig({
        services: config.services,
        ...c,
        pidfiles: { ...pidfiles, ...(c['pidfiles'] as object | undefined) },
      });
    } catch (err) {
      if (err instanceof ValidationError)
        issues.push(...err.issues.map((i) => ({ ...i, path: `collectors.${i.path}` })));
      else throw err;
      return null;
    }
  })();
  if (issues.length > 0 || !heal || !collect) throw new ValidationError(issues, 'agent config');
  return { collect, heal };
}

/** Options beyond the config: a different source (replay), a logger, and overrides for tests. */
export type AssembleOptions = Omit<AgentDeps, 'credentials' | 'stages' | 'handlers' | 'source'> & {
  source?: SampleSource;
  logger: Logger;
  /** Stops the agent and exits with `code` for the supervisor to restart it (agent upgrades; run-action.ts). Without
   * it, `agent-upgrade` commands are not handled. */
  restart?: (code: number, why: string) => void;
};

/** Builds the full agent for this host. Nothing runs until `start()`. */
export async function assembleAgent(
  config: AgentConfig,
  credentials: Credentials,
  options: AssembleOptions,
): Promise<Agent> {
  const { collect, heal } = sectionConfigs(config, credentials);
  const source = options.source ?? (await createCollectionEngine(collect));
  const inference = await createInference({
    engine: createEngine(config.infer.engine, { stateDir: join(config.stateDir, 'infer') }),
    stateDir: join(config.stateDir, 'infer'),
    include: isModelFeature,
  });
  await inference.start();
  options.logger.info({ models: inference.versions(), engines: inference.engines() }, 'models loaded');
  const healer = await createHealer({ config: heal });
  options.logger.info({ serviceManager: healer.serviceBackend() }, 'service manager chosen');

  let agent: Agent | null = null;
  let upgrades: UpgradeSession | null = null;
  const running = runningVersion();
  const { restart, ...agentOptions } = options;
  const fleet = createFleetHandlers({
    credentials,
    healer,
    inference,
    stateDir: config.stateDir,
    emit: (e) => agent?.emit(e),
    publishState: (state) => agent?.link.publishState(state),
    reconnectWith: (secret, previous) => agent?.link.rotateSecret(secret, previous),
    ...(restart
      ? {
          upgrade: {
            config: config.upgrade,
            running,
            connected: () => agent?.link.status().state === 'connected',
            restart,
          },
        }
      : {}),
  });
  agent = await createAgent(config, {
    ...agentOptions,
    agentVersion: running,
    previousAgentVersion: previousVersion(config.stateDir, running),
    platform: hostPlatform(),
    release: () => upgrades?.release() ?? null,
    credentials,
    source,
    stages: [createInferStage(inference), createHealStage(healer, () => agent?.link.status().state === 'connected')],
    handlers: fleet.handlers,
    serviceManager: healer.serviceBackend(),
    models: () => {
      const versions = inference.versions();
      const engines = inference.engines();
      return Object.fromEntries(
        Object.entries(engines).map(([kind, e]) => [kind, { model: versions[kind] ?? '?', ...e }]),
      );
    },
  });
  const started = agent;
  return {
    ...started,
    async start() {
      await started.start();
      if (restart) {
        const startedAt = Date.now();
        upgrades = startUpgradeSession({
          stateDir: config.stateDir,
          running,
          log: options.logger,
          health: () => {
            const st = started.status();
            return {
              cycles: st.cycles,
              connected: st.link.state === 'connected',
              lastAckAt: st.link.lastAckAt,
              startedAt,
            };
          },
          emit: (e) => started.emit(e),
          state: fleet.state,
          restart,
        });
      }
      await fleet.state.publish();
    },
    async stop() {
      upgrades?.stop();
      await started.stop();
    },
  };
}
