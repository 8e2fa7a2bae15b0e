/**
 * Admission of one agent message into ingest, shared by both broker adapters: topic ACL, then, for telemetry and
 * events, room in the ingest queue *before* the payload is parsed: the message's records are counted from its bytes
 * (`"seq":` occurrences, no JSON parsing) and reserved in the queue, waiting up to `maxWaitMs` in arrival order (the
 * caller does not read the client's next message meanwhile: real backpressure, the PUBACK is held). A message that
 * gets no room in time is shed unparsed (`broker.publish.refused.overload`, `ingest.shed.<kind>`): PUBACKed, never
 * stored, and refused explicitly with a `busy` command on the agent's command topic naming its seqs (read from the
 * bytes, like the count) and when to try again, so the agent backs off and sends exactly those records again instead
 * of waiting for its ack timeout. Only admitted messages are parsed and validated, so overload costs the control plane
 * almost nothing per refused message and the writer keeps committing at full speed.
 * Invalid records are acked as rejected so the agent stops re-sending them.
 */
import type { Logger } from 'pino';
import type { Counters } from '../metrics/counters.ts';
import { weightOf, type IngestItem, type Ingester } from '../ingest/ingester.ts';
import { toRanges } from '../ingest/seq-ranges.ts';
import { authorizeAgentPublish, decodeAgentPayload, type PublishRefusal } from './authorize.ts';
import type { AgentTopicKind, Command } from '../../contract/protocol/index.ts';

export type AdmitDeps = {
  ingester: Ingester;
  counters: Counters;
  log: Logger;
  maxWaitMs: number;
  /** Publishes a command to the agent (QoS 1): here the `busy` refusal of a shed message. */
  publishCommand(agentId: string, command: Command): Promise<void>;
};

/** Refused by the ACL (the caller disconnects or drops), or taken (queued, shed or rejected — all counted). */
export type Admission = { ok: true } | { ok: false; reason: PublishRefusal };

const SEQ_KEY = Buffer.from('"seq":');
const TAKEN: Admission = { ok: true };

/** Records in a telemetry/events payload, counted without parsing it (at least 1, at most 1000 as the schema allows). */
export function estimateRecords(payload: Buffer): number {
  let n = 0;
  for (let i = payload.indexOf(SEQ_KEY); i !== -1 && n < 1000; i = payload.indexOf(SEQ_KEY, i + SEQ_KEY.length)) n++;
  return Math.max(1, n);
}

/**
 * The seqs of a telemetry/events payload read from its bytes without parsing it: the integer after every `"seq":` (a
 * quote inside a JSON string is escaped, so this is always a key). Event data may nest a `seq` key of its own: naming
 * such a number too is harmless (the agent resends only records it has in flight, and inserts are idempotent).
 */
export function scanSeqs(payload: Buffer): number[] {
  const seqs: number[] = [];
  for (let i = payload.indexOf(SEQ_KEY); i !== -1 && seqs.length < 1000; i = payload.indexOf(SEQ_KEY, i)) {
    i += SEQ_KEY.length;
    while (payload[i] === 0x20) i++;
    let n = 0;
    let digits = 0;
    for (let c = payload[i]; c !== undefined && c >= 0x30 && c <= 0x39 && digits < 16; c = payload[++i]) {
      n = n * 10 + (c - 0x30);
      digits++;
    }
    if (digits > 0 && n > 0 && Number.isSafeInteger(n)) seqs.push(n);
  }
  return seqs;
}

/** Refuses a shed message to its agent: `busy` with its seqs and when the queue should have room again. */
function refuse(who: string, kind: IngestItem['kind'], seqs: number[], deps: AdmitDeps): Admission {
  deps.counters.inc('broker.publish.refused.overload');
  deps.counters.inc(`ingest.shed.${kind}`);
  const retryAfterMs = Math.min(30_000, Math.max(500, Math.round(deps.ingester.backlogMs)));
  for (const ranges of toRanges(seqs)) {
    deps.counters.inc('broker.busy.sent');
    deps
      .publishCommand(who, { v: 1, type: 'busy', ranges, retryAfterMs })
      .catch((err: unknown) => deps.log.warn({ err, agentId: who }, 'busy publish failed'));
  }
  return TAKEN;
}

export function admitAgentMessage(who: string, topic: string, payload: Buffer, deps: AdmitDeps): Promise<Admission> {
  const { counters, ingester, log } = deps;
  const acl = authorizeAgentPublish(who, topic);
  if (!acl.ok) {
    counters.inc(`broker.publish.refused.${acl.reason}`);
    log.warn({ agentId: who, topic, reason: acl.reason }, 'publish refused');
    return Promise.resolve(acl);
  }
  if (acl.kind !== 'telemetry' && acl.kind !== 'events') return admitDecoded(who, acl.kind, topic, payload, deps);
  const records = estimateRecords(payload);
  ingester.noteRecordBytes(payload.length, records);
  const weight = Math.min(ingester.limit, records);
  if (ingester.tryReserve(weight)) return admitReserved(who, acl.kind, topic, payload, weight, deps);
  counters.inc('broker.backpressure.waits');
  return ingester.reserve(weight, deps.maxWaitMs).then(
    (room) => {
      if (room) return admitReserved(who, acl.kind, topic, payload, weight, deps);
      return refuse(who, acl.kind, scanSeqs(payload), deps);
    },
    () => refuse(who, acl.kind, scanSeqs(payload), deps),
  );
}

function admitReserved(
  who: string,
  kind: AgentTopicKind,
  topic: string,
  payload: Buffer,
  weight: number,
  deps: AdmitDeps,
): Promise<Admission> {
  let reserved = weight;
  try {
    return admitDecoded(who, kind, topic, payload, deps, (item) => {
      // The reservation is used by this offer, or given back when the item is heavier than reserved.
      const ok = deps.ingester.offer(item, reserved);
      if (ok) reserved = 0;
      return ok;
    });
  } finally {
    if (reserved > 0) deps.ingester.release(reserved);
  }
}

function admitDecoded(
  who: string,
  kind: AgentTopicKind,
  topic: string,
  payload: Buffer,
  deps: AdmitDeps,
  offer: (item: IngestItem) => boolean = (item) => deps.ingester.offer(item),
): Promise<Admission> {
  const { counters, ingester, log } = deps;
  const decoded = decodeAgentPayload(who, kind, payload);
  if (!decoded.ok) {
    counters.inc(`broker.payload.rejected.${decoded.reason}`);
    log.warn({ agentId: who, topic, reason: decoded.reason, detail: decoded.detail }, 'payload rejected');
    // Accepted at the MQTT level (no reconnect loop), never stored; readable seqs are acked as rejected for good
    // (through `offer`: the rejection uses the room reserved for the message).
    if (decoded.seqs.length > 0)
      offer({
        kind: 'reject',
        agentId: who,
        seqs: decoded.seqs,
        reason: `${decoded.reason}: ${decoded.detail}`.slice(0, 500),
      });
    return Promise.resolve(TAKEN);
  }
  if (decoded.partial) {
    // Some records of the message were invalid: refused for good (counted, acked as rejected), the rest stored.
    counters.inc('broker.payload.rejected.schema');
    counters.inc('broker.records.rejected.schema', decoded.partial.seqs.length);
    log.warn({ agentId: who, topic, detail: decoded.partial.detail }, 'records rejected');
    if (decoded.partial.seqs.length > 0)
      ingester.offer({
        kind: 'reject',
        agentId: who,
        seqs: decoded.partial.seqs,
        reason: `schema: ${decoded.partial.detail}`,
      });
  }
  if (offer(decoded.item)) return Promise.resolve(TAKEN);
  // Heavier than reserved (records the byte count missed) or not a record kind: wait for room with the parsed item.
  return waitAndOffer(decoded.item, deps);
}

function waitAndOffer(item: IngestItem, deps: AdmitDeps): Promise<Admission> {
  const { counters, ingester } = deps;
  counters.inc('broker.backpressure.waits');
  const weight = Math.min(ingester.limit, weightOf(item));
  return ingester.reserve(weight, deps.maxWaitMs).then(
    (room) => {
      if (room && ingester.offer(item, weight)) return TAKEN;
      if (room) ingester.release(weight);
      return refuse(item.agentId, item.kind, seqsOf(item), deps);
    },
    () => refuse(item.agentId, item.kind, seqsOf(item), deps),
  );
}

function seqsOf(item: IngestItem): number[] {
  if (item.kind === 'telemetry') return item.samples.map((s) => s.seq);
  if (item.kind === 'events') return item.events.map((e) => e.seq);
  return item.kind === 'reject' ? item.seqs : [];
}
