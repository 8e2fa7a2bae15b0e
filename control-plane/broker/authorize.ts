/**
 * Topic ACL and payload admission for agents (pure). An agent may publish only to `homeostat/v1/agents/<its id>/<kind>`
 * and subscribe only to `homeostat/v1/cmd/<its id>` and filters under `homeostat/v1/fleet/`. Payloads must fit
 * MAX_PAYLOAD_BYTES, parse as JSON and match the kind's zod schema.
 */
import { AGENT_PAYLOADS, MAX_PAYLOAD_BYTES, TOPIC_ROOT, commandTopic, parseAgentTopic, type AgentTopicKind } from '../../contract/protocol/index.ts';
import type { IngestItem } from '../ingest/ingester.ts';

export type PublishRefusal = 'sys-topic' | 'unknown-topic' | 'foreign-topic';
export type SubscribeRefusal = 'foreign-command-topic' | 'forbidden-filter';
export type PayloadRejection = 'oversized' | 'not-json' | 'schema';

/** Whether agent `agentId` may publish on `topic`; the kind when it may. */
export function authorizeAgentPublish(agentId: string, topic: string): { ok: true; kind: AgentTopicKind } | { ok: false; reason: PublishRefusal } {
  if (topic.startsWith('$SYS')) return { ok: false, reason: 'sys-topic' };
  const parsed = parseAgentTopic(topic);
  if (!parsed) return { ok: false, reason: 'unknown-topic' };
  if (parsed.agentId !== agentId) return { ok: false, reason: 'foreign-topic' };
  return { ok: true, kind: parsed.kind };
}

const FLEET_PREFIX = `${TOPIC_ROOT}/fleet/`;

/** Whether agent `agentId` may subscribe to `filter`. */
export function authorizeAgentSubscribe(agentId: string, filter: string): { ok: true } | { ok: false; reason: SubscribeRefusal } {
  if (filter === commandTopic(agentId)) return { ok: true };
  if (filter.startsWith(FLEET_PREFIX) && filter.length > FLEET_PREFIX.length) return { ok: true };
  if (filter.startsWith(`${TOPIC_ROOT}/cmd/`) && !/[+#]/.test(filter)) return { ok: false, reason: 'foreign-command-topic' };
  return { ok: false, reason: 'forbidden-filter' };
}

/**
 * Decodes and validates a payload into an ingest item. On a schema failure, the seqs that could be read (telemetry and
 * events) are returned so they can be acked as rejected for good instead of being re-sent forever.
 */
export function decodeAgentPayload(agentId: string, kind: AgentTopicKind, payload: Buffer): { ok: true; item: IngestItem } | { ok: false; reason: PayloadRejection; detail: string; seqs: number[] } {
  if (payload.length > MAX_PAYLOAD_BYTES) return { ok: false, reason: 'oversized', detail: `${payload.length} bytes > ${MAX_PAYLOAD_BYTES}`, seqs: [] };
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: 'not-json', detail: (err as Error).message, seqs: [] };
  }
  const result = AGENT_PAYLOADS[kind].safeParse(json);
  if (!result.success) {
    const detail = result.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    return { ok: false, reason: 'schema', detail, seqs: readableSeqs(json) };
  }
  const m = result.data;
  switch (kind) {
    case 'telemetry': return { ok: true, item: { kind, agentId, samples: (m as unknown as { samples: never[] }).samples } };
    case 'events': return { ok: true, item: { kind, agentId, events: (m as unknown as { events: never[] }).events } };
    case 'presence': return { ok: true, item: { kind, agentId, message: m as never } };
    case 'inventory': return { ok: true, item: { kind, agentId, message: m as never } };
    case 'state': return { ok: true, item: { kind, agentId, message: m as never } };
  }
}

function readableSeqs(json: unknown): number[] {
  if (!json || typeof json !== 'object') return [];
  const list = (json as { samples?: unknown; events?: unknown }).samples ?? (json as { events?: unknown }).events;
  if (!Array.isArray(list)) return [];
  return list.slice(0, 1000).map((x) => (x && typeof x === 'object' ? (x as { seq?: unknown }).seq : undefined))
    .filter((s): s is number => typeof s === 'number' && Number.isSafeInteger(s) && s > 0);
}
