/**
 * The outputs of `decide`: decisions (every one journaled and sent upstream as an event) and planned actions
 * (what the shell executes), plus the mapping of a decision to its `heal.*` event.
 */
import type { ActionSpec } from '../../contract/policy/schema.ts';
import type { ProcessTarget } from './evaluate.ts';
import type { HealEvent } from './types.ts';
import { agentEvent, decisionEventKind, type DecisionKind } from '../../contract/protocol/events.ts';

/** The decision kinds are declared once, in the event catalogue (contract/protocol/events.ts). */
export type { DecisionKind };

/** An action `decide` wants run, with everything the shell needs (targets resolved from the observation). */
export interface PlannedAction {
  /** `<incident>/<attempt>/<index>`: unique, stable id for journaling and outcome matching. */
  id: string;
  policy: string;
  incident: string;
  attempt: number;
  index: number;
  spec: ActionSpec;
  /** kill-process only: the processes to signal. */
  targets?: ProcessTarget[];
}

export interface Decision {
  kind: DecisionKind;
  /** Policy name ('' for fleet-level decisions such as pause). */
  policy: string;
  incident?: string;
  attempt?: number;
  /** The guard that suppressed it: cooldown, hourly-limit, priority, verify-pending, awaiting-approval, paused, no-target,
   * match-budget (the cycle's regex tests ran out before its conditions were decided). */
  guard?: string;
  reason?: string;
  requestId?: string;
  actions?: { type: string; targets?: ProcessTarget[] }[];
}

const SEVERITY: Record<DecisionKind, HealEvent['severity']> = {
  matched: 'info',
  suppressed: 'info',
  execute: 'info',
  'dry-run': 'info',
  verified: 'info',
  'verify-failed': 'warning',
  escalated: 'critical',
  refused: 'warning',
  'approval-requested': 'warning',
  'approval-granted': 'info',
  'approval-denied': 'info',
  'approval-withdrawn': 'info',
  'approval-unknown': 'warning',
  cleared: 'info',
  paused: 'warning',
  resumed: 'info',
};

/** The `heal.<kind>` event for a decision. */
export function decisionEvent(d: Decision, ts: number): HealEvent {
  const what = d.policy ? `policy '${d.policy}'` : 'healing';
  const text: Record<DecisionKind, string> = {
    matched: `${what} matched`,
    suppressed: `${what} suppressed by ${d.guard ?? 'a guard'}`,
    execute: `${what} acting: ${(d.actions ?? []).map((a) => a.type).join(', ')}`,
    'dry-run': `${what} would act (dry run): ${(d.actions ?? []).map((a) => a.type).join(', ')}`,
    verified: `${what} verified healed`,
    'verify-failed': `${what} did not verify in time`,
    escalated: `${what} escalated`,
    refused: `${what} refused`,
    'approval-requested': `${what} waits for approval`,
    'approval-granted': `${what} approved`,
    'approval-denied': `${what} denied`,
    'approval-withdrawn': `${what} approval request withdrawn (condition cleared)`,
    'approval-unknown': `approval for unknown request`,
    cleared: `${what} condition cleared`,
    paused: 'healing paused by the control plane',
    resumed: 'healing resumed',
  };
  const { kind, ...data } = d;
  // undefined fields are left out (the journal and the wire carry JSON)
  for (const k of Object.keys(data) as (keyof typeof data)[]) if (data[k] === undefined) delete data[k];
  return agentEvent(decisionEventKind(kind), {
    ts,
    severity: SEVERITY[kind],
    message: d.reason ? `${text[kind]}: ${d.reason}` : text[kind],
    data,
  });
}

/** The keys of the things an action changes, for priority conflicts between policies. */
export function targetKeys(a: PlannedAction): string[] {
  const s = a.spec;
  switch (s.type) {
    case 'restart-service':
      return [`service:${s.service}`];
    case 'kill-process':
      return (a.targets ?? []).map((t) => `pid:${t.pid}`);
    case 'free-disk':
      return s.dirs.map((d) => `dir:${d}`);
    case 'rotate-log':
    case 'truncate-log':
      return [`file:${s.path}`];
    case 'drop-caches':
      return ['host:caches'];
    case 'run-script':
      return [`script:${s.script}`];
    case 'cordon':
      return ['host:cordon'];
    case 'notify':
      return [];
  }
}
