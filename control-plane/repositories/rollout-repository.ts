/**
 * Rollouts and per-host intents (what the control plane means each host to run). The rollout's `state` is the pure
 * state machine's JSON (fleet/rollout.ts), parsed with {@link RolloutStateSchema} on every read.
 */
import { z } from 'zod';
import type { RolloutKindName, RolloutState, RolloutStatus } from '../fleet/rollout.ts';

export const ROLLOUT_STATUSES = ['pending', 'soaking', 'completed', 'halted', 'rolled-back', 'cancelled'] as const;
/** Rollouts still moving (the ticker advances these). */
export const RUNNING_STATUSES: RolloutStatus[] = ['pending', 'soaking'];

/**
 * The stored state machine. Loose objects: keys this schema does not list (a newer state machine's or health gate's
 * fields) are kept as stored rather than dropped on the next save; the listed ones are checked.
 */
export const RolloutStateSchema = z.looseObject({
  id: z.string(),
  kind: z.enum(['policy', 'model', 'agent']),
  subject: z.string(),
  version: z.string(),
  previousVersion: z.string().nullable(),
  waves: z.array(z.array(z.string())),
  wave: z.number().int(),
  status: z.enum(ROLLOUT_STATUSES),
  waveStartedAt: z.number().nullable(),
  soakMs: z.number(),
  ackTimeoutMs: z.number(),
  autoRollback: z.boolean(),
  thresholds: z.looseObject({
    maxRatio: z.number().optional(),
    minDelta: z.number().optional(),
    minTreatedHosts: z.number().optional(),
    maxLatencyRatio: z.number().optional(),
  }),
  history: z.array(z.object({ at: z.number(), event: z.string(), detail: z.string().optional() })),
  rollback: z.boolean().optional(),
  skippedCordoned: z.array(z.string()).optional(),
  waveResults: z
    .array(
      z.object({
        wave: z.number().int(),
        verdict: z.enum(['pass', 'fail']),
        hosts: z.number().int(),
        acknowledged: z.number().int(),
        at: z.number(),
      }),
    )
    .optional(),
});
// Compile-time check that the schema produces the state machine's type.
const _stateIsRolloutState: z.ZodType<RolloutState> = RolloutStateSchema;
void _stateIsRolloutState;

/** A stored rollout: its state plus who created it, when, and for which selector. */
export interface RolloutRecord {
  id: string;
  kind: RolloutKindName;
  subject: string;
  version: string;
  selector: string;
  status: RolloutStatus;
  state: RolloutState;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

/** What the control plane intends one host to run for one kind (`policy` or `model:<name>`). */
export interface HostIntentRecord {
  hostId: string;
  kind: string;
  version: string;
  rolloutId: string | null;
  updatedAt: Date;
}

/** Filters of {@link RolloutRepository.list}; `limit` unset = all. */
export interface RolloutFilter {
  subject?: string;
  kind?: RolloutKindName;
  status?: string | string[];
  limit?: number;
}

export interface RolloutRepository {
  /** Stores a new rollout (status, kind, subject, version from `state`); ConflictError when the id exists. */
  create(r: { state: RolloutState; selector: string; createdBy: string; at: Date }): Promise<RolloutRecord>;
  /** Replaces the state (and status) of an existing rollout; NotFoundError when unknown. */
  save(state: RolloutState, at: Date): Promise<void>;
  get(id: string): Promise<RolloutRecord | null>;
  /** Newest first (createdAt, then id). */
  list(filter?: RolloutFilter): Promise<RolloutRecord[]>;
  count(status: string[]): Promise<number>;
  /** The newest rollout of a version label (`<set>@<n>` or `<model>@<version>`), or null. */
  latestOfVersion(version: string): Promise<RolloutRecord | null>;
  /** Rollouts whose updatedAt >= `at` (the UI stream's poll). */
  updatedSince(at: Date): Promise<RolloutRecord[]>;
  /** Creates or replaces the intent of (hostId, kind). */
  setIntent(i: { hostId: string; kind: string; version: string; rolloutId: string | null; at: Date }): Promise<void>;
  /** Intents, optionally of one kind and/or some hosts, ordered by host then kind. */
  intents(filter?: { kind?: string; hostIds?: string[] }): Promise<HostIntentRecord[]>;
}
