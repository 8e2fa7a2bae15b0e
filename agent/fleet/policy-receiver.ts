/**
 * Agent side of policy distribution: handles the `policy` command. The bundle must be a signed envelope of kind
 * `policy-bundle` verifying against the control plane key pinned at enrollment; anything unsigned, tampered, signed
 * with another key, stale (issued before the bundle already applied) or failing the shared policy schema is refused:
 * the refusal is reported as a `fleet.bundle-refused` event and in the `state` errors, and the running policy stays.
 * On success the set is applied via the healer hook and acknowledged in `state`.
 */
import type { KeyObject } from 'node:crypto';
import { SignatureRefusedError, verifyEnvelope } from '../../contract/signing/signature.ts';
import { validatePolicySet, type PolicySet } from '../../contract/policy/schema.ts';
import type { FleetState } from './fleet-state.ts';

/** Payload of a policy bundle (control-plane/fleet/bundle.ts builds it). */
export interface PolicyBundlePayload {
  policySet: string;
  version: string;
  issuedAt: number;
  document: unknown;
}

/** An event for the agent's outbox. */
export interface FleetEvent {
  type: string;
  severity: 'info' | 'warning' | 'critical';
  message: string;
  data: Record<string, unknown>;
}

/**
 * Dependencies; `applyPolicySet` is the healer's (agent/heal) and may throw to refuse. It gets the validated set and
 * the document as written in the bundle (with its version): the healer re-validates and caches the latter, since the
 * validated set carries normalised fields (`kind`, `forMs`) that are not part of the policy language.
 */
export interface PolicyReceiverDeps {
  pinnedKey: KeyObject | string;
  applyPolicySet: (set: PolicySet, document: Record<string, unknown>) => void | Promise<void>;
  state: FleetState;
  report: (event: FleetEvent) => void;
}

/** Outcome of one command, for logs and tests. */
export type PolicyOutcome = { applied: string } | { refused: string; reason: string };

/** Returns the `policy` command handler. */
export function createPolicyReceiver(deps: PolicyReceiverDeps): (cmd: { bundle: Record<string, unknown> }) => Promise<PolicyOutcome> {
  return async (cmd) => {
    let payload: PolicyBundlePayload;
    try {
      payload = checkPayload(verifyEnvelope(cmd.bundle, deps.pinnedKey, 'policy-bundle'));
      if (payload.issuedAt < deps.state.policyIssuedAt) throw new SignatureRefusedError('tampered', `stale bundle ${payload.version} issued ${payload.issuedAt} < applied ${deps.state.policyIssuedAt}`);
      const document = { ...(payload.document as Record<string, unknown>), version: payload.version };
      const set = validatePolicySet(document);
      await deps.applyPolicySet(set, document);
    } catch (err) {
      const reason = err instanceof SignatureRefusedError ? err.reason : err instanceof Error ? err.name : 'error';
      const message = err instanceof Error ? err.message : String(err);
      const version = typeof (cmd.bundle['payload'] as { version?: unknown } | undefined)?.version === 'string' ? (cmd.bundle['payload'] as { version: string }).version : 'unknown';
      deps.report({ type: 'fleet.bundle-refused', severity: 'warning', message: `policy bundle ${version} refused: ${message}`, data: { kind: 'policy', version, reason } });
      deps.state.fail(`policy ${version} refused (${reason}): ${message}`);
      await deps.state.publish();
      return { refused: version, reason };
    }
    deps.state.setPolicy(payload.version, payload.issuedAt);
    deps.report({ type: 'fleet.policy-applied', severity: 'info', message: `policy ${payload.version} applied`, data: { version: payload.version } });
    await deps.state.publish();
    return { applied: payload.version };
  };
}

function checkPayload(p: Record<string, unknown>): PolicyBundlePayload {
  if (typeof p['version'] !== 'string' || typeof p['issuedAt'] !== 'number' || typeof p['document'] !== 'object' || p['document'] === null || typeof p['policySet'] !== 'string') {
    throw new SignatureRefusedError('malformed', 'policy bundle payload needs policySet, version, issuedAt and document');
  }
  return p as unknown as PolicyBundlePayload;
}
