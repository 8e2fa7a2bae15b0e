/**
 * The event catalogue (version {@link EVENT_CATALOGUE_VERSION}): every kind of agent event the agent emits and the
 * control plane interprets, each with its typed `data` (docs/events.md). The agent builds events with
 * {@link agentEvent}; the control plane reads stored events with {@link readEvent} and matches on the typed `type`, so
 * renaming a kind (or a decision kind) is a type error on both sides.
 *
 * The wire schema (`AgentEvent` in payloads.ts) stays open: any lowercase dotted type is accepted and stored, so an
 * event of a kind this catalogue does not know (a newer agent) is kept and flagged, never dropped. `data` objects are
 * loose: fields a newer agent adds are kept; the fields listed here must be present with the stated types.
 */
import { z } from 'zod';
import { Contribution } from './payloads.ts';

/** Version of the catalogue; bumped when a kind changes incompatibly (new kinds and new optional fields are not). */
export const EVENT_CATALOGUE_VERSION = 1;

/** Severities of an event. */
export const Severity = z.enum(['info', 'warning', 'critical']);
export type Severity = z.infer<typeof Severity>;

/** What a policy decision can be; each is the event kind `heal.<kind>` (agent/heal/decision.ts). */
export const DECISION_KINDS = [
  'matched',
  'suppressed',
  'execute',
  'dry-run',
  'verified',
  'verify-failed',
  'escalated',
  'refused',
  'approval-requested',
  'approval-granted',
  'approval-denied',
  'approval-withdrawn',
  'approval-unknown',
  'cleared',
  'paused',
  'resumed',
] as const;
export type DecisionKind = (typeof DECISION_KINDS)[number];

/** How an executed action ended; each maps to one outcome event kind ({@link OUTCOME_EVENT}). */
export const ACTION_STATUSES = ['done', 'refused', 'unavailable', 'failed'] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

/** Which models the agent runs. */
export const ModelKind = z.enum(['anomaly', 'disk']);

const name = z.string().min(1).max(256);
const int = z.number().int().nonnegative();

/** A process an action targets (kill-process). */
export const ProcessTargetData = z.object({ pid: z.number().int().positive(), name: z.string(), runtimeS: z.number() });

/** `data` of a `heal.<decision>` event: the decision without its kind. */
export const DecisionData = z.looseObject({
  /** Policy name ('' for fleet-level decisions such as pause). */
  policy: z.string().max(256),
  incident: z.string().max(256).optional(),
  attempt: int.optional(),
  /** The guard that suppressed or refused it (cooldown, hourly-limit, priority, local-config, …). */
  guard: z.string().max(128).optional(),
  reason: z.string().max(4000).optional(),
  requestId: z.string().max(128).optional(),
  actions: z
    .array(z.looseObject({ type: z.string().max(64), targets: z.array(ProcessTargetData).optional() }))
    .optional(),
});
/** `heal.approval-requested` needs the request id the approval will answer. */
export const ApprovalRequestedData = DecisionData.extend({ requestId: z.string().min(1).max(128) });
/** `heal.execute` names the actions it runs (the blast-radius breaker counts them). */
export const ExecuteData = DecisionData.extend({ actions: DecisionData.shape.actions.unwrap() });

/** `data` of an action outcome (`heal.executed|refused|unavailable|failed`), plus what the action reports. */
export const OutcomeData = z.looseObject({
  policy: name,
  incident: name,
  attempt: int,
  /** The action type, e.g. restart-service. */
  action: z.string().min(1).max(64),
  actionId: name,
  status: z.enum(ACTION_STATUSES),
  detail: z.string().max(4000),
  durationMs: z.number().nonnegative(),
});

/** What an action-emitted event (`heal.cordon`, `heal.notify`) carries. */
export const ActionEventData = z.looseObject({ policy: name, incident: name });

const Empty = z.looseObject({});

const unit = z.number().min(0).max(1);
/** `data` of `anomaly.started`: the run's peak score, the contributions at that peak, the settings that fired. */
export const AnomalyStartedData = z.looseObject({
  model: name,
  /** Peak score of the run that started the episode (and the current score when it was declared). */
  peak: unit,
  score: unit,
  /** First sample of the run (ms). */
  startedAt: int,
  top: z.array(Contribution),
  enter: unit,
  exit: unit,
});
/** `data` of `anomaly.ended`: how long the episode lasted and its peak. */
export const AnomalyEndedData = z.looseObject({
  model: name,
  peak: unit,
  startedAt: int,
  endedAt: int,
  durationMs: int,
  top: z.array(Contribution),
});

/** One entry of the union: `type` literal + typed `data`; the envelope fields are optional (the wire checks them). */
function kind<K extends string, D extends z.ZodType>(type: K, data: D) {
  return z.object({
    type: z.literal(type),
    seq: z.number().int().positive().optional(),
    ts: z.number().int().nonnegative().optional(),
    severity: Severity.optional(),
    message: z.string().max(2000).optional(),
    data,
  });
}

/** Every known event kind with its `data`, as one discriminated union on `type`. */
export const CatalogueEvent = z.discriminatedUnion('type', [
  // agent runtime (agent/agent.ts, agent/link/outbox)
  kind('agent.started', z.looseObject({ version: z.string().max(64), cycleSeconds: z.number().positive() })),
  kind(
    'outbox.dropped',
    z.looseObject({
      count: int,
      fromSeq: int,
      toSeq: int,
      bytes: int,
      // D1: exact disjoint seq ranges removed (lost records and folded drop events); absent from older agents
      ranges: z
        .array(z.tuple([int, int]))
        .max(256)
        .optional(),
      folded: int.optional(),
    }),
  ),
  // inference (agent/infer)
  /** Deprecated: one sample at or above 0.5 (agents before the alert state machine); still read, never emitted. */
  kind('anomaly.detected', z.looseObject({ score: z.number().min(0).max(1), model: name, top: z.array(Contribution) })),
  /** An alert episode began (agent/infer/alert-state.ts): the score stayed at or above `enter` long enough. */
  kind('anomaly.started', AnomalyStartedData),
  /** The episode ended: the score stayed below `exit` for `clearFor`. `endedAt` is the first calm sample. */
  kind('anomaly.ended', AnomalyEndedData),
  kind('model.load-failed', z.looseObject({ kind: ModelKind, path: z.string().max(4096) })),
  kind('model.unavailable', z.looseObject({ kind: ModelKind })),
  kind('model.error', z.looseObject({ kind: ModelKind, model: name })),
  kind('infer.state-save-failed', Empty),
  // fleet distribution (agent/fleet)
  kind('fleet.policy-applied', z.looseObject({ version: name })),
  kind('fleet.bundle-refused', z.looseObject({ kind: z.literal('policy'), version: name, reason: name })),
  kind('fleet.model-applied', z.looseObject({ model: name, version: name })),
  kind('fleet.model-refused', z.looseObject({ kind: z.literal('model'), model: name, reason: name })),
  // agent upgrades (agent/fleet/agent-upgrader.ts, upgrade-confirm.ts, upgrade-guard.ts)
  /** The new version confirmed its health within the window; `durationMs` from the switch to the confirmation. */
  kind('agent.upgraded', z.looseObject({ from: name, to: name, durationMs: int.optional() })),
  /** The host switched back to `to` by itself: `from` (the new version) crashed, stalled or stayed disconnected. */
  kind(
    'agent.rolled-back',
    z.looseObject({ from: name, to: name, reason: z.string().max(2000), attempts: int.optional() }),
  ),
  /** A release was refused before anything was switched: bad signature, tampered or truncated download, no room. */
  kind('fleet.agent-refused', z.looseObject({ kind: z.literal('agent'), version: name, reason: name })),
  // healing: policy sets and state (agent/heal/healer.ts)
  kind(
    'heal.policy-applied',
    z.looseObject({
      version: z.string().max(256).nullable(),
      source: z.literal('cache').optional(),
      policies: int.optional(),
      active: int.optional(),
      refused: z.array(z.string().max(256)).optional(),
    }),
  ),
  kind(
    'heal.policy-rejected',
    z.looseObject({
      source: z.literal('cache').optional(),
      issues: z.array(z.looseObject({ path: z.string(), message: z.string() })).optional(),
    }),
  ),
  kind('heal.state-reset', Empty),
  // healing: decisions (heal.<DecisionKind>, agent/heal/decision.ts)
  kind('heal.matched', DecisionData),
  kind('heal.suppressed', DecisionData),
  kind('heal.execute', ExecuteData),
  kind('heal.dry-run', DecisionData),
  kind('heal.verified', DecisionData),
  kind('heal.verify-failed', DecisionData),
  kind('heal.escalated', DecisionData),
  // `refused` is both a decision (a policy refused by the local config) and an action outcome.
  kind('heal.refused', z.union([OutcomeData, DecisionData])),
  kind('heal.approval-requested', ApprovalRequestedData),
  kind('heal.approval-granted', DecisionData),
  kind('heal.approval-denied', DecisionData),
  kind('heal.approval-withdrawn', DecisionData),
  kind('heal.approval-unknown', DecisionData),
  kind('heal.cleared', DecisionData),
  kind('heal.paused', DecisionData),
  kind('heal.resumed', DecisionData),
  // healing: action outcomes (agent/heal/healer.ts) and what actions emit
  kind('heal.executed', OutcomeData),
  kind('heal.unavailable', OutcomeData),
  kind('heal.failed', OutcomeData),
  kind('heal.cordon', ActionEventData),
  kind('heal.notify', ActionEventData),
  // simulated facts of the demo fleet (control-plane/compose/demo-fleet.ts), reported through real agents
  kind('sensors.temp-high', z.looseObject({ sensor: name, rack: z.string().max(256).optional() })),
  kind('service.stopped', z.looseObject({ service: name })),
  // made by the control plane itself (correlate/incident-service.ts), never sent by an agent
  kind('presence.offline', Empty),
]);
export type CatalogueEvent = z.infer<typeof CatalogueEvent>;

/** Every known event kind. */
export type EventKind = CatalogueEvent['type'];
/** The typed `data` of one kind. */
export type EventData<K extends EventKind> = Extract<CatalogueEvent, { type: K }>['data'];
/** A known event with its envelope as the agent builds it (no seq: the link assigns it). */
export type TypedEvent<K extends EventKind = EventKind> = {
  [T in K]: { ts: number; type: T; severity: Severity; message: string; data: EventData<T> };
}[K];

/** All kinds, for lookups. */
export const EVENT_KINDS: ReadonlySet<string> = new Set(CatalogueEvent.options.map((o) => o.shape.type.value));

/** The event kind of each decision. */
export type DecisionEventKind = `heal.${DecisionKind}`;
/** The event kind of each action outcome. */
export const OUTCOME_EVENT = {
  done: 'heal.executed',
  refused: 'heal.refused',
  unavailable: 'heal.unavailable',
  failed: 'heal.failed',
} as const satisfies Record<ActionStatus, EventKind>;

// Compile-time: every decision kind is a catalogue kind (renaming one without the other does not type-check).
const decisionKindsAreCatalogued: DecisionEventKind extends EventKind ? true : never = true;
void decisionKindsAreCatalogued;

/** The `heal.<kind>` event kind of a decision. */
export function decisionEventKind(k: DecisionKind): DecisionEventKind {
  return `heal.${k}`;
}

/**
 * Builds a typed agent event. The fields are checked by the compiler; the catalogue test parses every event the agent
 * emits at run time.
 */
export function agentEvent<K extends EventKind>(
  type: K,
  fields: { ts: number; severity: Severity; message: string; data: EventData<K> },
): TypedEvent<K> {
  return {
    ts: fields.ts,
    type,
    severity: fields.severity,
    message: fields.message,
    data: fields.data,
  } as TypedEvent<K>;
}

/** A typed event without its time (the agent runtime stamps it when it queues the event). */
export type TypedEventBody<K extends EventKind = EventKind> = {
  [T in K]: { type: T; severity: Severity; message: string; data: EventData<T> };
}[K];

/** Builds a typed agent event that the runtime stamps with its time (`emit`, `report`). */
export function eventBody<K extends EventKind>(
  type: K,
  fields: { severity: Severity; message: string; data: EventData<K> },
): TypedEventBody<K> {
  return { type, severity: fields.severity, message: fields.message, data: fields.data } as TypedEventBody<K>;
}

/** Result of {@link readEvent}: a typed event, or why it is not one (stored anyway; see docs/events.md). */
export type EventReading =
  | { ok: true; event: CatalogueEvent }
  | { ok: false; type: string; problem: 'unknown-kind' | 'malformed'; message: string };

/**
 * Reads a stored or received event against the catalogue. Unknown kinds (a newer agent) and malformed data are
 * reported, not thrown: the caller keeps the event and skips only its kind-specific handling. The message names the
 * kind and every bad field, e.g. `heal.approval-requested: data.requestId: Invalid input: expected string, …`.
 */
export function readEvent(e: {
  type: string;
  data?: unknown;
  severity?: string;
  message?: string | null;
}): EventReading {
  if (!EVENT_KINDS.has(e.type)) {
    return {
      ok: false,
      type: e.type,
      problem: 'unknown-kind',
      message: `${e.type}: not in event catalogue v${EVENT_CATALOGUE_VERSION}`,
    };
  }
  const r = CatalogueEvent.safeParse({ type: e.type, data: e.data ?? {} });
  if (r.success) return { ok: true, event: r.data };
  const issues = r.error.issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`).join('; ');
  return { ok: false, type: e.type, problem: 'malformed', message: `${e.type}: ${issues}` };
}

/** Narrows a typed event to one kind. */
export function isKind<K extends EventKind>(e: CatalogueEvent, k: K): e is Extract<CatalogueEvent, { type: K }> {
  return e.type === k;
}
