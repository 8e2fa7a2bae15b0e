/**
 * Admission of one agent message into ingest, shared by both broker adapters: topic ACL, payload validation, then the
 * ingest queue, waiting up to `maxWaitMs` for room (the caller does not read the next message meanwhile: real
 * backpressure) before shedding, counted. Invalid records are acked as rejected so the agent stops re-sending them.
 */
import type { Logger } from 'pino';
import type { Counters } from '../metrics/counters.ts';
import type { Ingester } from '../ingest/ingester.ts';
import { authorizeAgentPublish, decodeAgentPayload, type PublishRefusal } from './authorize.ts';

export type AdmitDeps = { ingester: Ingester; counters: Counters; log: Logger; maxWaitMs: number };

/** Refused by the ACL (the caller disconnects or drops), or taken (queued, shed or rejected — all counted). */
export type Admission = { ok: true } | { ok: false; reason: PublishRefusal };

export function admitAgentMessage(who: string, topic: string, payload: Buffer, deps: AdmitDeps): Promise<Admission> {
  const { counters, ingester, log } = deps;
  const acl = authorizeAgentPublish(who, topic);
  if (!acl.ok) {
    counters.inc(`broker.publish.refused.${acl.reason}`);
    log.warn({ agentId: who, topic, reason: acl.reason }, 'publish refused');
    return Promise.resolve(acl);
  }
  const decoded = decodeAgentPayload(who, acl.kind, payload);
  if (!decoded.ok) {
    counters.inc(`broker.payload.rejected.${decoded.reason}`);
    log.warn({ agentId: who, topic, reason: decoded.reason, detail: decoded.detail }, 'payload rejected');
    // Accepted at the MQTT level (no reconnect loop), never stored; readable seqs are acked as rejected for good.
    if (decoded.seqs.length > 0)
      ingester.offer({
        kind: 'reject',
        agentId: who,
        seqs: decoded.seqs,
        reason: `${decoded.reason}: ${decoded.detail}`.slice(0, 500),
      });
    return Promise.resolve({ ok: true });
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
  if (ingester.offer(decoded.item)) return Promise.resolve({ ok: true });
  counters.inc('broker.backpressure.waits');
  return ingester.waitForRoom(decoded.item, deps.maxWaitMs).then(
    (room) => {
      if (!(room && ingester.offer(decoded.item))) counters.inc(`ingest.shed.${decoded.item.kind}`);
      return { ok: true as const };
    },
    () => ({ ok: true as const }),
  );
}
