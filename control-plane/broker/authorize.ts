/**
 * Topic ACL and payload admission for agents (pure). An agent may publish only to `homeostat/v1/agents/<its id>/<kind>`
 * and subscribe only to `homeostat/v1/cmd/<its id>` and filters under `homeostat/v1/fleet/`. Payloads must fit
 * MAX_PAYLOAD_BYTES, parse as JSON and match the kind's zod schema.
 */
import {
  AgentEvent,
  EventsMessage,
  InventoryMessage,
  MAX_PAYLOAD_BYTES,
  PresenceMessage,
  Sample,
  StateMessage,
  TelemetryMessage,
  TOPIC_ROOT,
  commandTopic,
  parseAgentTopic,
  type AgentTopicKind,
} from '../../contract/protocol/index.ts';
import { fastTelemetryMessage } from '../../contract/protocol/sample-check.ts';
import type { IngestItem } from '../ingest/ingester.ts';

export type PublishRefusal = 'sys-topic' | 'unknown-topic' | 'foreign-topic';
export type SubscribeRefusal = 'foreign-command-topic' | 'forbidden-filter';
export type PayloadRejection = 'oversized' | 'not-json' | 'schema';

/** Whether agent `agentId` may publish on `topic`; the kind when it may. */
export function authorizeAgentPublish(
  agentId: string,
  topic: string,
): { ok: true; kind: AgentTopicKind } | { ok: false; reason: PublishRefusal } {
  if (topic.startsWith('$SYS')) return { ok: false, reason: 'sys-topic' };
  const parsed = parseAgentTopic(topic);
  if (!parsed) return { ok: false, reason: 'unknown-topic' };
  if (parsed.agentId !== agentId) return { ok: false, reason: 'foreign-topic' };
  return { ok: true, kind: parsed.kind };
}

const FLEET_PREFIX = `${TOPIC_ROOT}/fleet/`;

/** Whether agent `agentId` may subscribe to `filter`. */
export function authorizeAgentSubscribe(
  agentId: string,
  filter: string,
): { ok: true } | { ok: false; reason: SubscribeRefusal } {
  if (filter === commandTopic(agentId)) return { ok: true };
  if (filter.startsWith(FLEET_PREFIX) && filter.length > FLEET_PREFIX.length) return { ok: true };
  if (filter.startsWith(`${TOPIC_ROOT}/cmd/`) && !/[+#]/.test(filter))
    return { ok: false, reason: 'foreign-command-topic' };
  return { ok: false, reason: 'forbidden-filter' };
}

export type DecodedPayload =
  | { ok: true; item: IngestItem; partial?: { reason: 'schema'; detail: string; seqs: number[] } }
  | { ok: false; reason: PayloadRejection; detail: string; seqs: number[] };

/** Issue paths and messages for logs and acks: bounded, and well-formed even when a key is not. */
function describeIssues(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.')}: ${i.message}`)
    .join('; ')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .slice(0, 400);
}

/**
 * Decodes and validates a payload into an ingest item. On a schema failure, the seqs that could be read (telemetry and
 * events) are returned so they can be acked as rejected for good instead of being re-sent forever. A telemetry or
 * events message whose envelope is valid but some of whose records are not keeps its valid records (`partial` lists
 * the refused ones): one bad record never costs the others. A telemetry message is first offered to the hand-written
 * check (contract/protocol/sample-check.ts), which only ever accepts, with zod's exact result.
 */
export function decodeAgentPayload(
  agentId: string,
  kind: AgentTopicKind,
  payload: Buffer,
  /** false: zod only (tests compare both paths). */
  fastPath = true,
): DecodedPayload {
  if (payload.length > MAX_PAYLOAD_BYTES)
    return { ok: false, reason: 'oversized', detail: `${payload.length} bytes > ${MAX_PAYLOAD_BYTES}`, seqs: [] };
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: 'not-json', detail: (err as Error).message, seqs: [] };
  }
  if (kind === 'telemetry' && fastPath) {
    // The common well-formed batch, checked by hand; anything it is not sure of goes through zod below.
    const fast = fastTelemetryMessage(json);
    if (fast) return { ok: true, item: { kind, agentId, samples: fast.samples } };
  }
  const result = admit(agentId, kind, json);
  if (!result.ok) {
    const detail = describeIssues(result.issues);
    const salvaged = kind === 'telemetry' || kind === 'events' ? salvage(agentId, kind, json) : null;
    if (salvaged) return salvaged;
    return { ok: false, reason: 'schema', detail, seqs: readableSeqs(json) };
  }
  return { ok: true, item: result.item };
}

type Admission =
  | { ok: true; item: IngestItem }
  | { ok: false; issues: readonly { path: PropertyKey[]; message: string }[] };

/** Parses `json` with the schema of `kind` (contract/protocol/payloads.ts) into its ingest item. */
function admit(agentId: string, kind: AgentTopicKind, json: unknown): Admission {
  switch (kind) {
    case 'telemetry': {
      const r = TelemetryMessage.safeParse(json);
      return r.success ? { ok: true, item: { kind, agentId, samples: r.data.samples } } : failed(r.error);
    }
    case 'events': {
      const r = EventsMessage.safeParse(json);
      return r.success ? { ok: true, item: { kind, agentId, events: r.data.events } } : failed(r.error);
    }
    case 'presence': {
      const r = PresenceMessage.safeParse(json);
      return r.success ? { ok: true, item: { kind, agentId, message: r.data } } : failed(r.error);
    }
    case 'inventory': {
      const r = InventoryMessage.safeParse(json);
      return r.success ? { ok: true, item: { kind, agentId, message: r.data } } : failed(r.error);
    }
    case 'state': {
      const r = StateMessage.safeParse(json);
      return r.success ? { ok: true, item: { kind, agentId, message: r.data } } : failed(r.error);
    }
  }
}

function failed(error: { issues: { path: PropertyKey[]; message: string }[] }): Admission {
  return { ok: false, issues: error.issues };
}

/** Keeps the valid records of a telemetry/events message with a valid envelope; null when none is valid. */
function salvage(agentId: string, kind: 'telemetry' | 'events', json: unknown): DecodedPayload | null {
  const o = json as { v?: unknown; samples?: unknown; events?: unknown } | null;
  const list = kind === 'telemetry' ? o?.samples : o?.events;
  if (o?.v !== 1 || !Array.isArray(list) || list.length < 1 || list.length > 1000) return null;
  const schema = kind === 'telemetry' ? Sample : AgentEvent;
  const good: unknown[] = [];
  const bad: unknown[] = [];
  const issues: { path: PropertyKey[]; message: string }[] = [];
  for (const [i, x] of list.entries()) {
    const r = schema.safeParse(x);
    if (r.success) good.push(r.data);
    else {
      bad.push(x);
      issues.push(
        ...r.error.issues.map((e) => ({
          path: [kind === 'telemetry' ? 'samples' : 'events', i, ...e.path],
          message: e.message,
        })),
      );
    }
  }
  if (good.length === 0) return null;
  const partial = {
    reason: 'schema' as const,
    detail: describeIssues(issues),
    seqs: readableSeqs({ [kind === 'telemetry' ? 'samples' : 'events']: bad }),
  };
  const item: IngestItem =
    kind === 'telemetry'
      ? { kind, agentId, samples: good as Sample[] }
      : { kind, agentId, events: good as AgentEvent[] };
  return { ok: true, item, partial };
}

function readableSeqs(json: unknown): number[] {
  if (!json || typeof json !== 'object') return [];
  const list = (json as { samples?: unknown; events?: unknown }).samples ?? (json as { events?: unknown }).events;
  if (!Array.isArray(list)) return [];
  return list
    .slice(0, 1000)
    .map((x) => (x && typeof x === 'object' ? (x as { seq?: unknown }).seq : undefined))
    .filter((s): s is number => typeof s === 'number' && Number.isSafeInteger(s) && s > 0);
}
