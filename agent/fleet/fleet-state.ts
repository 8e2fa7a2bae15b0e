/**
 * What this agent runs from the fleet: the applied policy bundle version and model versions, plus recent apply
 * errors. Every change is published as the `state` message (control-plane/protocol), the agent's acknowledgement of a
 * rollout. The publisher is injected (the link's publish on `…/state`).
 */
import type { StateMessage } from '../../contract/protocol/index.ts';
import { truncateCodePoints } from '../../contract/truncate.ts';

/** Mutable fleet state with publishing. */
export interface FleetState {
  readonly policyVersion: string | null;
  readonly models: Readonly<Record<string, string>>;
  /** Last applied bundle's issuedAt (replay protection). */
  readonly policyIssuedAt: number;
  setPolicy(version: string, issuedAt: number): void;
  setModel(name: string, version: string): void;
  /** Forgets the errors starting with `prefix` (e.g. `agent ` once an upgrade is confirmed). */
  clear(prefix: string): void;
  /** Records an error (kept: last 20) and publishes. */
  fail(message: string): void;
  /** Publishes the current state. */
  publish(): Promise<void>;
}

/**
 * The loaded models as the state reports them: by model name with its bare version, the form the model updater sets
 * after a swap and the control plane reads (`<name>@<version>` of a rollout). The inference stage lists its slots
 * (`{ anomaly: 'anomaly-multi@5.0.0' }`); reported as such, a bundled model was never recognised as running, so a
 * model rollout had nothing to roll back to and the host listed the slot beside the swapped-in model.
 */
export function modelsByName(slots: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const label of Object.values(slots)) {
    const at = label.lastIndexOf('@');
    if (at > 0) out[label.slice(0, at)] = label.slice(at + 1);
  }
  return out;
}

/** Creates the state holder. `initial` restores what was applied before a restart. */
export function createFleetState(opts: {
  publish: (msg: StateMessage) => void | Promise<void>;
  now: () => number;
  initial?: { policyVersion?: string | null; policyIssuedAt?: number; models?: Record<string, string> };
}): FleetState {
  let policyVersion = opts.initial?.policyVersion ?? null;
  let policyIssuedAt = opts.initial?.policyIssuedAt ?? 0;
  const models: Record<string, string> = { ...(opts.initial?.models ?? {}) };
  let errors: string[] = [];
  const publish = async () => {
    const msg: StateMessage = { v: 1, ts: opts.now(), policyVersion, models: { ...models }, errors: [...errors] };
    await opts.publish(msg);
  };
  return {
    get policyVersion() {
      return policyVersion;
    },
    get models() {
      return { ...models };
    },
    get policyIssuedAt() {
      return policyIssuedAt;
    },
    setPolicy(version, issuedAt) {
      policyVersion = version;
      policyIssuedAt = issuedAt;
      errors = errors.filter((e) => !e.startsWith('policy'));
    },
    setModel(name, version) {
      models[name] = version;
      errors = errors.filter((e) => !e.startsWith(`model ${name}`));
    },
    clear(prefix) {
      errors = errors.filter((e) => !e.startsWith(prefix));
    },
    fail(message) {
      errors = [...errors, truncateCodePoints(message, 1000)].slice(-20);
    },
    publish,
  };
}
