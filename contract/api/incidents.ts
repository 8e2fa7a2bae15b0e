/**
 * Incidents, silences, approvals and webhooks as the HTTP API returns them (`/api/incidents…`, `/api/silences…`,
 * `/api/approvals…`, `/api/webhooks…`).
 */
import { z } from 'zod';
import { EpochMs, IsoTime } from './common.ts';

const Severity = z.enum(['info', 'warning', 'critical']);

/** Why the correlator groups these events, and how strongly the attribute separates the affected hosts. */
export const RootCauseHint = z.object({
  key: z.string(),
  value: z.string(),
  affected: z.number(),
  symptomatic: z.number(),
  fleetWithValue: z.number(),
  fleetSize: z.number(),
  affectedShare: z.number(),
  fleetShare: z.number(),
  lift: z.number(),
  /** -log10 of the one-sided Fisher p-value. */
  score: z.number(),
  explanation: z.string(),
});

/** A lasting signal an incident holds (an agent's anomaly alert): on until `endedAt`. */
export const IncidentCondition = z.object({
  key: z.string(),
  hostId: z.string(),
  condition: z.string(),
  since: EpochMs,
  endedAt: EpochMs.nullable(),
});
export type IncidentCondition = z.infer<typeof IncidentCondition>;

/** Why an incident was resolved: `cleared` (every alert it held ended), `quiet` (no signal for the quiet period) or
 * `manual` (a person). */
export const IncidentResolution = z.object({
  reason: z.enum(['cleared', 'quiet', 'manual']),
  at: EpochMs,
  text: z.string(),
  by: z.string().optional(),
});
export type IncidentResolution = z.infer<typeof IncidentResolution>;

/** One step of an incident's life, oldest first. */
export const TimelineEntry = z.object({
  at: EpochMs,
  kind: z.enum(['opened', 'acknowledged', 'note', 'resolved']),
  text: z.string(),
  by: z.string().nullable(),
});
export type TimelineEntry = z.infer<typeof TimelineEntry>;

/**
 * A (possibly multi-host) incident. `rootCause` summarises `hint` (`key=value`, confidence 0..1); `timeline` merges
 * opening, acknowledgement, notes and resolution.
 */
export const Incident = z.object({
  id: z.string(),
  status: z.enum(['open', 'resolved', 'merged']),
  scope: z.enum(['group', 'host']),
  key: z.string(),
  value: z.string(),
  severity: Severity,
  hosts: z.array(z.string()),
  signatures: z.array(z.string()),
  eventCount: z.number().int(),
  eventIds: z.array(z.string()),
  firstEventAt: EpochMs,
  openedAt: EpochMs,
  updatedAt: EpochMs,
  lastEventAt: EpochMs,
  resolvedAt: EpochMs.nullable(),
  mergedInto: z.string().nullable(),
  suppressed: z.boolean(),
  hint: RootCauseHint,
  acknowledged: z.object({ by: z.string(), at: EpochMs }).nullable(),
  /** Who handles it (a username), set and cleared by operators. */
  assignee: z.object({ name: z.string(), by: z.string(), at: EpochMs }).nullable().optional(),
  notes: z.array(z.object({ by: z.string(), at: EpochMs, text: z.string() })),
  title: z.string(),
  /** Anomaly alerts it holds; the incident stays open while any is on. */
  conditions: z.array(IncidentCondition).optional(),
  lastPointEventAt: EpochMs.optional(),
  /** Set when resolved: why, when, by whom. */
  resolution: IncidentResolution.nullable().optional(),
  rollouts: z.array(z.object({ id: z.string(), kind: z.string(), version: z.string() })).optional(),
  rootCause: z.object({ hint: z.string(), explanation: z.string(), confidence: z.number().min(0).max(1) }),
  timeline: z.array(TimelineEntry),
});
export type Incident = z.infer<typeof Incident>;

/** `GET /api/incidents`. */
export const IncidentList = z.object({ incidents: z.array(Incident) });
export type IncidentList = z.infer<typeof IncidentList>;

/** A silence or maintenance window; `schedule` as in control-plane/correlate/schedule.ts (`type` once|weekly|cron). */
export const Silence = z.object({
  id: z.string(),
  kind: z.enum(['silence', 'maintenance']),
  selector: z.string(),
  schedule: z.looseObject({ type: z.enum(['once', 'weekly', 'cron']) }),
  reason: z.string(),
  createdBy: z.string(),
  pauseActions: z.array(z.string()),
});
export type Silence = z.infer<typeof Silence>;

/** `GET /api/silences`: each with whether it is in effect now. */
export const SilenceList = z.object({ silences: z.array(Silence.extend({ active: z.boolean() })) });
export type SilenceList = z.infer<typeof SilenceList>;

/** An action waiting for (or given) a person's decision: a policy guard on one host or the fleet breaker. */
export const Approval = z.object({
  id: z.string(),
  requestId: z.string(),
  source: z.string(),
  hostId: z.string().nullable(),
  groupKey: z.string().nullable(),
  groupValue: z.string().nullable(),
  action: z.string(),
  reason: z.string(),
  /** The agent policy that asked and its condition as written in the host's applied set (null: breaker, unknown). */
  policy: z.string().nullable(),
  condition: z.string().nullable(),
  status: z.enum(['pending', 'approved', 'denied', 'expired']),
  requestedAt: IsoTime,
  /** When a pending request expires (approvals.expireAfter after it was made); null once decided. */
  expiresAt: IsoTime.nullable(),
  decidedBy: z.string().nullable(),
  decidedAt: IsoTime.nullable(),
  decisionReason: z.string().nullable(),
});
export type Approval = z.infer<typeof Approval>;

/** `GET /api/approvals`. */
export const ApprovalList = z.object({ approvals: z.array(Approval) });
export type ApprovalList = z.infer<typeof ApprovalList>;

/** A webhook (never its secret; `signed` says whether deliveries carry an HMAC signature). */
export const Webhook = z.object({
  id: z.string(),
  name: z.string(),
  url: z.string(),
  events: z.array(z.enum(['incident', 'escalation'])),
  enabled: z.boolean(),
  createdBy: z.string(),
  createdAt: IsoTime,
  signed: z.boolean(),
});
export type Webhook = z.infer<typeof Webhook>;

/** `POST /api/webhooks`, `POST /api/webhooks/:id/rotate-secret`: the signing secret, shown this once. */
export const WebhookWithSecret = Webhook.extend({ secret: z.string() });
export type WebhookWithSecret = z.infer<typeof WebhookWithSecret>;

/** `GET /api/webhooks`. */
export const WebhookList = z.object({ webhooks: z.array(Webhook) });
export type WebhookList = z.infer<typeof WebhookList>;

/** `POST /api/webhooks/:id/test`: one real delivery of a test payload, and what came of it. */
export const WebhookTestResult = z.object({
  webhook: z.string(),
  delivered: z.boolean(),
  /** The receiver's HTTP status, or null when no answer came (connection refused, timeout, DNS). */
  status: z.number().int().nullable(),
  latencyMs: z.number().nonnegative(),
  error: z.string().nullable(),
  at: IsoTime,
});
export type WebhookTestResult = z.infer<typeof WebhookTestResult>;
