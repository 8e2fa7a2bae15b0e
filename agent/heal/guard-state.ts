/**
 * Guard state: everything `decide` remembers between cycles, as one plain JSON-serialisable value
 * (persisted by agent/heal/state-store.ts so a restart keeps cooldowns, counts, incidents, approvals, verifies).
 */
import { z } from 'zod';

const incident = z.object({
  id: z.string(),
  openedAt: z.number(),
  /** Executions in this incident so far. */
  attempts: z.number().int(),
  /** Gave up (maxAttempts reached, approval skipped offline): no more tries until the condition clears. */
  escalated: z.boolean(),
  /** An operator denied the action: no more tries until the condition clears. */
  denied: z.boolean(),
});

const policyGuard = z.object({
  lastRunAt: z.number().nullable(),
  /** Execution times within the last hour (for maxRunsPerHour). */
  runs: z.array(z.number()),
  incident: incident.nullable(),
  /** Actions ran; the verify condition must hold before `deadline`. */
  verify: z.object({ startedAt: z.number(), deadline: z.number(), attempt: z.number().int() }).nullable(),
  /** requestId of this policy's outstanding approval request. */
  approval: z.string().nullable(),
  /** Last guard that suppressed this policy (suppressions are reported on change only). */
  lastSuppressed: z.string().nullable(),
});

const approval = z.object({
  requestId: z.string(),
  policy: z.string(),
  incident: z.string(),
  createdAt: z.number(),
  status: z.enum(['pending', 'approved']),
  by: z.string().optional(),
});

export const guardStateSchema = z.object({
  v: z.literal(1),
  /** Leaf-condition instance key → time it started holding (for `for:` durations). */
  since: z.record(z.string(), z.number()),
  policies: z.record(z.string(), policyGuard),
  approvals: z.record(z.string(), approval),
  /** Fleet-level pause from the control plane; `actions: []` pauses every action that changes the host. */
  pause: z.object({ actions: z.array(z.string()), until: z.number().nullable(), reason: z.string() }).nullable(),
  /** Monotonic counter for incident and request ids (unique across restarts because it is persisted). */
  counter: z.number().int(),
});

export type GuardState = z.infer<typeof guardStateSchema>;
export type PolicyGuard = z.infer<typeof policyGuard>;
export type Incident = z.infer<typeof incident>;
export type PendingApproval = z.infer<typeof approval>;

/** A fresh state: nothing seen, nothing pending. */
export function emptyGuardState(): GuardState {
  return { v: 1, since: {}, policies: {}, approvals: {}, pause: null, counter: 0 };
}

/** A fresh per-policy record. */
export function emptyPolicyGuard(): PolicyGuard {
  return { lastRunAt: null, runs: [], incident: null, verify: null, approval: null, lastSuppressed: null };
}

/** Deep copy (decide never mutates its input). */
export function cloneGuardState(s: GuardState): GuardState {
  return structuredClone(s);
}
