/**
 * Pure handlers of the control plane's `approval` and `pause` commands (control-plane/protocol/payloads.ts):
 * they only change the guard state; the granted action runs on the next cycle if its condition still holds.
 */
import type { GuardState } from './guard-state.ts';
import { cloneGuardState } from './guard-state.ts';
import type { Decision } from './decision.ts';

/** The `approval` command's fields this module reads. */
export interface ApprovalCommand {
  requestId: string;
  approved: boolean;
  by: string;
  reason?: string;
}
/** The `pause` command's fields: `actions: []` = every host-changing action; `until` ≤ now resumes; null = until resumed. */
export interface PauseCommand {
  actions: string[];
  until: number | null;
  reason: string;
}

/** Records an approval or denial. Denial stops tries for the incident until its condition clears. */
export function applyApproval(state: GuardState, cmd: ApprovalCommand): { state: GuardState; decisions: Decision[] } {
  const next = cloneGuardState(state);
  const req = next.approvals[cmd.requestId];
  if (!req)
    return {
      state: next,
      decisions: [
        {
          kind: 'approval-unknown',
          policy: '',
          requestId: cmd.requestId,
          reason: `no pending request '${cmd.requestId}' (expired, withdrawn or already decided)`,
        },
      ],
    };
  const pg = next.policies[req.policy];
  const base = {
    policy: req.policy,
    incident: req.incident,
    requestId: req.requestId,
    reason: cmd.reason ? `${cmd.reason} (by ${cmd.by})` : `by ${cmd.by}`,
  };
  if (cmd.approved) {
    req.status = 'approved';
    req.by = cmd.by;
    if (pg) pg.lastSuppressed = null;
    return { state: next, decisions: [{ kind: 'approval-granted', ...base }] };
  }
  delete next.approvals[cmd.requestId];
  if (pg) {
    pg.approval = null;
    if (pg.incident) pg.incident.denied = true;
  }
  return { state: next, decisions: [{ kind: 'approval-denied', ...base }] };
}

/** Pauses (or, with `until` ≤ now, resumes) host-changing actions fleet-wide. */
export function applyPause(
  state: GuardState,
  cmd: PauseCommand,
  now: number,
): { state: GuardState; decisions: Decision[] } {
  const next = cloneGuardState(state);
  if (cmd.until !== null && cmd.until <= now) {
    next.pause = null;
    return { state: next, decisions: [{ kind: 'resumed', policy: '', reason: cmd.reason }] };
  }
  next.pause = { actions: [...cmd.actions], until: cmd.until, reason: cmd.reason };
  const what = cmd.actions.length ? cmd.actions.join(', ') : 'all host-changing actions';
  return {
    state: next,
    decisions: [
      {
        kind: 'paused',
        policy: '',
        reason: `${what} until ${cmd.until === null ? 'resumed' : new Date(cmd.until).toISOString()}: ${cmd.reason}`,
      },
    ],
  };
}
