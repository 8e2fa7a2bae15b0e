/**
 * `GET /api/hosts/:id/loss`: a host's loss accounting (issue 13, D1). Every record an agent sends carries a seq from
 * one per-agent space (samples and events alike), so the seqs the control plane never stored are the gaps below the
 * newest stored seq. An agent whose outbox overflowed reports what it removed in `outbox.dropped` events (exact seq
 * ranges); the control plane reconciles the two: a gap inside a reported range is explained loss, any other gap is
 * unexplained (a record refused or quarantined at ingest, or lost without a report).
 */
import { z } from 'zod';

const count = z.number().int().nonnegative();
const SeqRange = z.tuple([z.number().int().positive(), z.number().int().positive()]);

export const HostLoss = z.object({
  hostId: z.string(),
  /** Oldest and newest stored seq (null: nothing stored yet). */
  oldestSeq: z.number().int().positive().nullable(),
  newestSeq: z.number().int().positive().nullable(),
  /** Distinct seqs stored (samples and events). */
  stored: count,
  /** Seqs in 1..newestSeq never stored: `explained + unexplained + beforeOldest`. */
  missing: count,
  /** Missing seqs inside a range an `outbox.dropped` event reported. */
  explained: count,
  /** Missing seqs between the oldest and newest stored seq that no drop event reported. */
  unexplained: count,
  /** Unreported missing seqs below the oldest stored one (retention may have pruned them with their drop events). */
  beforeOldest: count,
  /** The unexplained seqs as inclusive ranges (the first 100). */
  unexplainedRanges: z.array(SeqRange),
  /** Stored `outbox.dropped` events and the seqs their ranges cover (union). */
  dropEvents: count,
  reported: count,
  /** Reported seqs that were stored anyway (a record in flight when the outbox removed it). */
  reportedButStored: count,
  /** The gap list was longer than the control plane reads at once (100,000 gaps): the figures are a lower bound. */
  truncated: z.boolean(),
  /** When this was computed (ms). */
  at: z.number().int().nonnegative(),
});
export type HostLoss = z.infer<typeof HostLoss>;
