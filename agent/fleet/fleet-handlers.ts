/**
 * The agent's fleet command handlers, composed once for the real agent (agent/assemble.ts) and the demo fleet:
 * signed policy bundles → the healer, signed models → the inference stage, approvals and pauses → the healer,
 * with the applied versions acknowledged in `state` messages.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelCardSchema } from '../../contract/models/card.ts';
import { modelSlotOf } from '../../contract/models/feature-schemas.ts';
import { alertSettingsOf } from '../../contract/policy/alerting.ts';
import type { Command, StateMessage } from '../../contract/protocol/index.ts';
import type { AgentConfig } from '../config/schema.ts';
import type { Credentials } from '../enroll/credentials.ts';
import type { Healer } from '../heal/healer.ts';
import { trustingFetch } from '../../contract/tls/trust.ts';
import type { Inference } from '../infer/inference.ts';
import type { CommandHandlers } from '../link/commands.ts';
import type { EventInput } from '../pipeline/types.ts';
import { createAgentUpgrader } from './agent-upgrader.ts';
import { createFleetState, modelsByName, type FleetState } from './fleet-state.ts';
import { createModelUpdater } from './model-updater.ts';
import { createPolicyReceiver } from './policy-receiver.ts';
import { createSecretRotationHandler } from './secret-rotation.ts';

function rotateSecretHandler(deps: FleetHandlerDeps, reconnectWith: (secret: string, previous: string) => void) {
  const rotate = createSecretRotationHandler({ credentials: deps.credentials, stateDir: deps.stateDir, reconnectWith });
  return (cmd: Extract<Command, { type: 'rotate-secret' }>) => {
    const refused = rotate(cmd);
    if (refused) throw new Error(`secret rotation refused: ${refused}`);
  };
}

/** What the handlers need; `emit` and `publishState` are late-bound to the agent once it exists. */
export type FleetHandlerDeps = {
  credentials: Credentials;
  healer: Healer;
  inference: Inference;
  stateDir: string;
  emit: (event: EventInput) => void;
  publishState: (state: Omit<StateMessage, 'v' | 'ts'>) => void;
  /** Secret rotation: the link reconnects with the new secret (absent: rotation commands are refused). */
  reconnectWith?: (secret: string, previous: string) => void;
  now?: () => number;
  /** Agent upgrades (`agent-upgrade`): absent = the command is refused as not supported by this agent. */
  upgrade?: {
    config: AgentConfig['upgrade'];
    running: string;
    connected: () => boolean;
    restart: (code: number, why: string) => void;
  };
};

/** Builds the fleet state (restored from what the healer and inference run) and the command handlers. */
export function createFleetHandlers(deps: FleetHandlerDeps): { state: FleetState; handlers: CommandHandlers } {
  const { credentials, healer, inference, emit } = deps;
  // The anomaly alert follows the policy set the host runs (its `alerting` section), else the fleet defaults.
  inference.configureAlerts(alertSettingsOf(healer.policySet()?.alerting));
  const state = createFleetState({
    publish: (msg) => deps.publishState({ policyVersion: msg.policyVersion, models: msg.models, errors: msg.errors }),
    now: deps.now ?? Date.now,
    initial: { policyVersion: healer.policySet()?.version ?? null, models: modelsByName(inference.versions()) },
  });
  // A cached policy set refused at start-up is reported in the agent's state, so the control plane can send a fix.
  const startupProblem = healer.startupProblem();
  if (startupProblem) state.fail(`policy ${startupProblem}`);
  const receivePolicy = createPolicyReceiver({
    pinnedKey: credentials.publicKey,
    state,
    report: emit,
    applyPolicySet: (_set, document) => {
      const r = healer.applyPolicySet(document, 'json');
      for (const e of r.events) emit(e);
      if (!r.ok) throw r.error;
      inference.configureAlerts(alertSettingsOf(healer.policySet()?.alerting));
    },
  });
  const models = createModelUpdater({
    pinnedKey: credentials.publicKey,
    server: credentials.server,
    agentId: credentials.agentId,
    get secret() {
      return credentials.secret; // rotated in place by the rotate-secret handler
    },
    fetch: trustingFetch(credentials.ca),
    dir: join(deps.stateDir, 'fleet-models'),
    state,
    report: emit,
    swapModel: async (_name, path, manifest) => {
      const card = ModelCardSchema.parse(manifest.card);
      const kind = modelSlotOf(card);
      // the control plane's signed verdict on the JS engine, if it reached one (agent/infer/auto-engine.ts uses it)
      await inference.swap(kind, new Uint8Array(readFileSync(path)), card, manifest.verdict);
    },
  });
  const up = deps.upgrade;
  const upgrader = up
    ? createAgentUpgrader({
        pinnedKey: credentials.publicKey,
        server: credentials.server,
        agentId: credentials.agentId,
        get secret() {
          return credentials.secret; // rotated in place by the rotate-secret handler
        },
        // the CA pinned at enrollment, as for models: a plain http:// server is refused once a CA is pinned
        fetch: trustingFetch(credentials.ca),
        stateDir: deps.stateDir,
        installRoot: up.config.installRoot,
        running: up.running,
        healthCycles: up.config.healthCycles,
        windowMs: up.config.windowSeconds * 1000,
        maxAttempts: up.config.maxAttempts,
        maxBytes: up.config.maxMiB * 1024 * 1024,
        connected: up.connected,
        state,
        report: emit,
        restart: up.restart,
      })
    : null;
  return {
    state,
    handlers: {
      ...(upgrader ? { 'agent-upgrade': async (cmd) => void (await upgrader.handle(cmd)) } : {}),
      policy: async (cmd) => void (await receivePolicy(cmd)),
      model: async (cmd) => void (await models.handle(cmd)),
      approval: (cmd) => healer.onApproval(cmd).forEach(emit),
      pause: (cmd) => healer.onPause(cmd).forEach(emit),
      ...(deps.reconnectWith ? { 'rotate-secret': rotateSecretHandler(deps, deps.reconnectWith) } : {}),
    },
  };
}
