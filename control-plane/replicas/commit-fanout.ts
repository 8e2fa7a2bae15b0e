/**
 * Committed ingest batches for every replica's live UI: with shared-subscription ingest a batch is committed by one
 * replica, but every replica's SSE clients should see it. The committing replica calls its own listeners and
 * publishes the batch, trimmed to what the stream shows (headline features, the anomaly score, heal events), on the
 * replica channel; the others hand it to theirs. The commit hook's shape is kept, so stream-feed.ts is unchanged.
 * Best effort (QoS 0): a lost message costs a live chart point, never data, and the UI refetches on reconnect.
 */
import type { Logger } from 'pino';
import type { ReplicaChannel } from '../broker/port.ts';
import type { CommitHook, CommittedBatch } from '../api/stream-feed.ts';
import { HEADLINE_FEATURES } from '../api/stream-feed.ts';

export const COMMITTED_CHANNEL = 'committed';

/** The batch as other replicas need it (samples without their full feature vector). */
export function trimBatch(b: CommittedBatch): CommittedBatch {
  return {
    samples: b.samples.map((s) => {
      const features: Record<string, number | null> = {};
      for (const k of HEADLINE_FEATURES) if (k in s.features) features[k] = s.features[k]!;
      const score = (s.scores as { anomaly?: { score?: unknown } } | null | undefined)?.anomaly?.score;
      return {
        hostId: s.hostId,
        seq: s.seq,
        ts: s.ts,
        schema: s.schema,
        features,
        ...(typeof score === 'number' ? { scores: { anomaly: { score } } } : {}),
      };
    }),
    events: b.events,
  };
}

/** A commit hook that delivers this replica's batches and every other replica's. */
export function createCommitFanout(local: CommitHook, channel: ReplicaChannel, log: Logger) {
  const listeners = new Set<(b: CommittedBatch) => void>();
  const deliver = (b: CommittedBatch) => {
    for (const l of listeners) {
      try {
        l(b);
      } catch (err) {
        log.warn({ err }, 'commit listener failed');
      }
    }
  };
  const offLocal = local((b) => {
    deliver(b);
    if (b.samples.length || b.events.length) channel.publish(COMMITTED_CHANNEL, JSON.stringify(trimBatch(b)));
  });
  const offRemote = channel.subscribe(COMMITTED_CHANNEL, (payload) => {
    let b: CommittedBatch;
    try {
      b = JSON.parse(payload.toString('utf8')) as CommittedBatch;
    } catch {
      return;
    }
    if (Array.isArray(b?.samples) && Array.isArray(b?.events)) deliver(b);
  });
  return {
    onCommitted: ((l) => {
      listeners.add(l);
      return () => void listeners.delete(l);
    }) satisfies CommitHook,
    async stop() {
      offLocal();
      (await offRemote)();
    },
  };
}
