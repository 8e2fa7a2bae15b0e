/**
 * Agent side of policy distribution: handles the `policy` command. The bundle must be a signed envelope of kind
 * `policy-bundle` verifying against the control plane key pinned at enrollment; anything unsigned, tampered, signed
 * with another key, stale (issued before the bundle already applied) or failing the shared policy schema is refused:
 * the refusal is reported as a `fleet.bundle-refused` event and in the `state` errors, and the running policy stays.
 * On success the set is applied via the healer hook and acknowledged in `state`.
 */
import type { KeyObject } from 'node:crypto';
import { eventBody, type TypedEventBody } from '../../contract/protocol/events.ts';
import { PolicyBundleSchema, type PolicyBundlePayload } from '../../contract/signing/bundle.ts';
import { SignatureRefusedError, verifyEnvelope } from '../../contract/signing/signature.ts';
import { validatePolicySet, type PolicySet } from '../../contract/policy/schema.ts';
import type { FleetState } from './fleet-state.ts';

/** An event for the agent's outbox: one of the fleet kinds of the event catalogue. */
export type FleetEvent = TypedEventBody<
  | 'fleet.policy-applied'
  | 'fleet.bundle-refused'
  | 'fleet.model-applied'
  | 'fleet.model-refused'
  | 'fleet.agent-refused'
>;

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
export function createPolicyReceiver(
  deps: PolicyReceiverDeps,
): (cmd: { bundle: Record<string, unknown> }) => Promise<PolicyOutcome> {
  return async (cmd) => {
    let payload: PolicyBundlePayload;
    try {
      payload = checkPayload(verifyEnvelope(cmd.bundle, deps.pinnedKey, 'policy-bundle'));
      if (payload.issuedAt < deps.state.policyIssuedAt)
        throw new SignatureRefusedError(
          'tampered',
          `stale bundle ${payload.version} issued ${payload.issuedAt} < applied ${deps.state.policyIssuedAt}`,
        );
      const document = { ...payload.document, version: payload.version };
      const set = validatePolicySet(document);
      await deps.applyPolicySet(set, document);
    } catch (err) {
      const reason = err instanceof SignatureRefusedError ? err.reason : err instanceof Error ? err.name : 'error';
      const message = err instanceof Error ? err.message : String(err);
      const version =
        typeof (cmd.bundle['payload'] as { version?: unknown } | undefined)?.version === 'string'
          ? (cmd.bundle['payload'] as { version: string }).version
          : 'unknown';
      deps.report(
        eventBody('fleet.bundle-refused', {
          severity: 'warning',
          message: `policy bundle ${version} refused: ${message}`,
          data: { kind: 'policy', version, reason },
        }),
      );
      deps.state.fail(`policy ${version} refused (${reason}): ${message}`);
      await deps.state.publish();
      return { refused: version, reason };
    }
    deps.state.setPolicy(payload.version, payload.issuedAt);
    deps.report(
      eventBody('fleet.policy-applied', {
        severity: 'info',
        message: `policy ${payload.version} applied`,
        data: { version: payload.version },
      }),
    );
    await deps.state.publish();
    return { applied: payload.version };
  };
}

/** Checks a verified payload with the contract's schema; every bad field is named. */
function checkPayload(p: Record<string, unknown>): PolicyBundlePayload {
  const r = PolicyBundleSchema.safeParse(p);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.map(String).join('.') || 'payload'}: ${i.message}`).join('; ');
    throw new SignatureRefusedError('malformed', `policy bundle payload: ${issues}`);
  }
  return r.data;
}
