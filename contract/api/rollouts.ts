/** Rollouts of policy and model versions in waves as the HTTP API returns them (`/api/rollouts…`). */
import { z } from 'zod';
import { EpochMs, IsoTime } from './common.ts';

/** Rollout lifecycle. */
export const RolloutStatus = z.enum(['pending', 'soaking', 'completed', 'halted', 'rolled-back', 'cancelled']);
export type RolloutStatus = z.infer<typeof RolloutStatus>;

/** Health-gate thresholds (defaults in control-plane/fleet/health-gate.ts). */
export const GateThresholds = z.object({
  maxRatio: z.number().optional(),
  minDelta: z.number().optional(),
  minTreatedHosts: z.number().optional(),
  maxLatencyRatio: z.number().optional(),
});

/** A rollout: waves of host ids, the wave being soaked (-1 before the first is sent) and its history. */
export const Rollout = z.object({
  id: z.string(),
  kind: z.enum(['policy', 'model', 'agent']),
  /** Policy set id or model name. */
  subject: z.string(),
  version: z.string(),
  /** What a rollback sends (null for the first rollout of a subject). */
  previousVersion: z.string().nullable(),
  waves: z.array(z.array(z.string())),
  wave: z.number().int(),
  status: RolloutStatus,
  waveStartedAt: EpochMs.nullable(),
  soakMs: z.number().nonnegative(),
  ackTimeoutMs: z.number().nonnegative(),
  autoRollback: z.boolean(),
  thresholds: GateThresholds,
  history: z.array(z.object({ at: EpochMs, event: z.string(), detail: z.string().optional() })),
  /** Sent to every target at once (a rollback or roll forward): completed only once every host acknowledged it. */
  rollback: z.boolean().optional(),
  /** Target hosts left out because they were cordoned (at planning, or when their wave or a rollback was due). */
  skippedCordoned: z.array(z.string()).optional(),
  /** Each decided wave's outcome, frozen when its gate decided: how many of its hosts had acknowledged, and when. */
  waveResults: z
    .array(
      z.object({
        wave: z.number().int().nonnegative(),
        verdict: z.enum(['pass', 'fail']),
        hosts: z.number().int().nonnegative(),
        acknowledged: z.number().int().nonnegative(),
        at: EpochMs,
      }),
    )
    .optional(),
  selector: z.string(),
  createdBy: z.string(),
  createdAt: IsoTime,
});
export type Rollout = z.infer<typeof Rollout>;

/** `GET /api/rollouts` (newest first, at most 200). */
export const RolloutList = z.object({ rollouts: z.array(Rollout) });
export type RolloutList = z.infer<typeof RolloutList>;

/** One group's figures over the comparison window (control-plane/fleet/health-gate.ts GroupHealth). */
const GroupFigures = z.object({
  hosts: z.number().int().nonnegative(),
  errors: z.number().nonnegative(),
  anomalies: z.number().nonnegative(),
  inferenceErrors: z.number().nonnegative().optional(),
  latencyP95Ms: z.number().nullable().optional(),
  /** Anomaly score (0..1) of the group's samples over the window: mean, p95 and how many samples (models only; null:
   * no sample carried a score). Shown beside the gate's figures; the gate judges anomaly alerts, not scores. */
  anomalyScore: z
    .object({ mean: z.number(), p95: z.number(), samples: z.number().int().nonnegative() })
    .nullable()
    .optional(),
  unresponsive: z.array(z.object({ host: z.string(), why: z.string() })).optional(),
  /** Live hosts sent the version that have not reported since it could take effect: the gate waits for them. */
  unproven: z.array(z.object({ host: z.string(), why: z.string() })).optional(),
});

/** `GET /api/rollouts/:id/comparison`: the new version's hosts (treated) versus the rest (baseline) since `since`. */
export const RolloutComparison = z.object({
  rollout: z.string(),
  since: EpochMs.nullable(),
  at: EpochMs,
  treated: GroupFigures,
  baseline: GroupFigures,
  applyFailures: z.number().int().nonnegative(),
  /** Treated hosts that acknowledged the version. */
  acknowledged: z.array(z.string()),
});
export type RolloutComparison = z.infer<typeof RolloutComparison>;
