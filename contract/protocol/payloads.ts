/**
 * Zod schemas of every MQTT payload (docs/protocol.md). Payloads are UTF-8 JSON objects carrying `v: 1`.
 * Agent and control plane both validate with these; the control plane rejects and counts anything else. Every string
 * is well-formed Unicode without NUL and bounded, every free-form JSON value bounded in depth and size (../text.ts).
 */
import { z } from 'zod';
import {
  EVENT_DATA_LIMITS,
  INVENTORY_LIMITS,
  boundedJsonObject,
  namedRecord,
  reservedKeyProblem,
  text,
} from '../text.ts';
import type { AgentTopicKind } from './topics.ts';

/** Largest payload the broker accepts on any agent topic, in bytes (default 256 KiB). */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

const seq = z.number().int().positive().describe('per-agent sequence number, never repeats (also across restarts)');
const ts = z.number().int().nonnegative().describe('milliseconds since the Unix epoch');
const featureName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[a-z0-9_.:/-]+$/i, 'feature names use letters, digits and _ . : / -')
  .superRefine((v, ctx) => {
    const p = reservedKeyProblem(v, 'feature name');
    if (p) ctx.addIssue({ code: 'custom', message: p });
  });

/** One feature contribution to an anomaly score, with the ratio to its usual value when known. */
export const Contribution = z.object({
  feature: featureName,
  contribution: z.number(),
  ratio: z.number().nullable().optional(),
});

/** Model outputs attached to a sample. */
export const Scores = z.object({
  anomaly: z
    .object({
      score: z.number().min(0).max(1),
      model: text(128),
      top: z.array(Contribution).max(16),
      latencyUs: z
        .number()
        .nonnegative()
        .optional()
        .describe('time the anomaly model took this cycle (model canary latency gate)'),
    })
    .optional(),
  disks: z
    .array(
      z.object({
        device: text(256),
        serial: text(128).optional(),
        probability: z.number().min(0).max(1),
        model: text(128),
      }),
    )
    .max(256)
    .optional(),
});

/** One collection cycle's readings: the named numeric feature vector (null = explicitly missing, never faked as 0). */
export const Sample = z.object({
  seq,
  ts,
  schema: text(32, 1).describe('feature schema version (agent/features/schema.ts)'),
  features: namedRecord(featureName, z.number().finite().nullable(), 'feature name'),
  collectors: namedRecord(text(128), text(256), 'collector name')
    .optional()
    .describe("collector status: 'ok' or 'unavailable: <reason>'"),
  scores: Scores.optional(),
});
export type Sample = z.infer<typeof Sample>;

/** `…/telemetry`: one or more samples in seq order (replay after an outage batches them). */
export const TelemetryMessage = z.object({ v: z.literal(1), samples: z.array(Sample).min(1).max(1000) });
export type TelemetryMessage = z.infer<typeof TelemetryMessage>;

/** An audited agent event: healing decisions, detections, escalations, outbox drop accounting, … */
export const AgentEvent = z.object({
  seq,
  ts,
  type: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[a-z][a-z0-9.-]*$/, 'event types are lowercase dotted names, e.g. heal.executed'),
  severity: z.enum(['info', 'warning', 'critical']).default('info'),
  message: text(2000).optional(),
  data: boundedJsonObject(EVENT_DATA_LIMITS).default({}),
});
export type AgentEvent = z.infer<typeof AgentEvent>;

/** `…/events`: one or more events in seq order. */
export const EventsMessage = z.object({ v: z.literal(1), events: z.array(AgentEvent).min(1).max(1000) });
export type EventsMessage = z.infer<typeof EventsMessage>;

/** `…/presence` (retained; the offline form is also the MQTT last will). */
export const PresenceMessage = z.object({
  v: z.literal(1),
  state: z.enum(['online', 'offline']),
  ts,
  agentVersion: text(64).optional(),
  /** The version this one replaced (the one a failed upgrade switches back to), null when none is known. */
  previousAgentVersion: text(64).nullable().optional(),
  /** `<os>-<arch>[-musl]` as agent artifacts are named (agent/fleet/platform.ts): agent rollouts target it. */
  platform: text(64).optional(),
  /**
   * The id (secret-id.ts) of the newest secret the agent holds: the control plane finishes a pending secret rotation
   * when it is the rotated one, and sends the rotation again when it is not (control-plane/enrollment/secret-rotation.ts).
   */
  secretId: text(64).optional(),
});
export type PresenceMessage = z.infer<typeof PresenceMessage>;

/** `…/inventory`: the host's hardware/software inventory, sent at connect and when it changes. */
export const InventoryMessage = z.object({
  v: z.literal(1),
  ts,
  hash: text(128),
  inventory: boundedJsonObject(INVENTORY_LIMITS),
});
export type InventoryMessage = z.infer<typeof InventoryMessage>;

/** `…/state`: which policy bundle and models the agent has applied (its acknowledgement of a rollout). */
export const StateMessage = z.object({
  v: z.literal(1),
  ts,
  policyVersion: text(128).nullable(),
  models: namedRecord(text(128), text(128), 'model kind').default({}),
  errors: z.array(text(1000)).max(50).default([]),
});
export type StateMessage = z.infer<typeof StateMessage>;

/** Map from agent topic kind to its payload schema (the broker admits each kind with the same schemas, one switch). */
export const AGENT_PAYLOADS = {
  telemetry: TelemetryMessage,
  events: EventsMessage,
  presence: PresenceMessage,
  inventory: InventoryMessage,
  state: StateMessage,
} as const satisfies Record<AgentTopicKind, z.ZodType>;

/** Inclusive seq ranges, e.g. [[1, 40], [42, 42]]. */
const SeqRanges = z
  .array(z.tuple([seq, seq]))
  .min(1)
  .max(1000);

/** One seq the control plane refused for good, and why (e.g. `schema: inventory.x: string contains a lone …`). */
export const RejectedSeq = z.object({ seq, reason: z.string().max(500) });
export type RejectedSeq = z.infer<typeof RejectedSeq>;

/** Commands on `homeostat/v1/cmd/<id>`, dispatched by `type`. */
export const Command = z.discriminatedUnion('type', [
  /**
   * The control plane committed these seqs (or rejected them for good); the outbox may drop them. `rejected` lists the
   * seqs among `ranges` that were refused (invalid, or quarantined because the database could not store them) with why,
   * so the agent can log them: they are covered by `ranges` too, so an agent that ignores the field still moves on.
   */
  z.object({
    v: z.literal(1),
    type: z.literal('ack'),
    ranges: SeqRanges,
    rejected: z.array(RejectedSeq).max(1000).optional(),
  }),
  /**
   * The control plane refused these seqs unread because its ingest is full (overload): none of them is stored. The
   * agent sends exactly these records again, not before `retryAfterMs` and with exponential backoff, jitter and a cap
   * while refusals go on (MQTT 3.1.1 PUBACKs carry no reason, and the embedded broker PUBACKs a refused message).
   */
  z.object({
    v: z.literal(1),
    type: z.literal('busy'),
    ranges: SeqRanges,
    retryAfterMs: z.number().int().min(0).max(300_000),
  }),
  /** A signed policy bundle to apply (see control-plane/fleet). */
  z.object({ v: z.literal(1), type: z.literal('policy'), bundle: z.record(z.string(), z.unknown()) }),
  /** A signed model to download over HTTP and swap in. */
  z.object({ v: z.literal(1), type: z.literal('model'), manifest: z.record(z.string(), z.unknown()) }),
  /** A signed agent release to download, install beside the running version and restart into (agent/fleet). */
  z.object({ v: z.literal(1), type: z.literal('agent-upgrade'), manifest: z.record(z.string(), z.unknown()) }),
  /** An approval or denial of an action that waits for one. */
  z.object({
    v: z.literal(1),
    type: z.literal('approval'),
    requestId: text(128),
    approved: z.boolean(),
    by: text(256),
    reason: text(2000).optional(),
  }),
  /**
   * Rotate this agent's secret: a signed envelope (kind `secret-rotation`) whose payload is `{ agentId, secret,
   * issuedAt }`. Sent only on the agent's own topic over its authenticated session (docs/tls.md).
   */
  z.object({ v: z.literal(1), type: z.literal('rotate-secret'), envelope: z.record(z.string(), z.unknown()) }),
  /** Fleet-level pause/resume of non-essential actions (maintenance windows, blast-radius breaker). */
  z.object({
    v: z.literal(1),
    type: z.literal('pause'),
    actions: z.array(text(64)).max(64).default([]),
    until: ts.nullable(),
    reason: text(2000),
  }),
]);
export type Command = z.infer<typeof Command>;
