/** Model refits from the fleet's own data as the HTTP API takes and returns them (`/api/model-refits…`). */
import { z } from 'zod';
import { parseDuration } from '../duration.ts';
import { IsoTime } from './common.ts';

/** Longest window a refit reads. */
export const MAX_REFIT_WINDOW_MS = 90 * 86_400_000;

/** `POST /api/model-refits`: which hosts, how far back, the held-back share, and an optional canary rollout. */
export const RefitBody = z.object({
  kind: z.literal('anomaly').default('anomaly'),
  selector: z.string().max(2000).default(''),
  since: z
    .string()
    .max(32)
    .default('7d')
    .refine((s) => {
      const ms = parseDuration(s);
      return ms !== null && ms >= 3_600_000 && ms <= MAX_REFIT_WINDOW_MS;
    }, 'a duration from 1h to 90d, e.g. 24h or 7d'),
  holdout: z.number().min(0.05).max(0.5).default(0.2),
  /** Label selector of a canary rollout of the new version (registered first); absent: registered only. */
  canary: z.string().max(2000).optional(),
});
export type RefitBody = z.infer<typeof RefitBody>;

/** What a finished refit saw and measured (the card has the full account). */
export const RefitSummary = z.object({
  version: z.string(),
  hosts: z.number().int(),
  hostsMatched: z.number().int(),
  samples: z.number().int(),
  trainSamples: z.number().int(),
  holdoutSamples: z.number().int(),
  features: z.number().int(),
  from: IsoTime,
  to: IsoTime,
  holdoutFrom: IsoTime,
  components: z.number().int(),
  z0: z.number(),
  holdout: z.object({
    alertRate: z.number(),
    falseEpisodesPerHostDay: z.number(),
    scoreP50: z.number(),
    scoreP99: z.number(),
  }),
  baseHoldout: z.object({
    alertRate: z.number(),
    falseEpisodesPerHostDay: z.number(),
    scoreP50: z.number(),
    scoreP99: z.number(),
  }),
  fitMs: z.number(),
});
export type RefitSummary = z.infer<typeof RefitSummary>;

/** A refit job: running (with progress), succeeded (summary, registered model, rollout) or failed (why). */
export const RefitJob = z.object({
  id: z.string(),
  kind: z.literal('anomaly'),
  selector: z.string(),
  since: z.string(),
  holdout: z.number(),
  canary: z.string().optional(),
  status: z.enum(['running', 'succeeded', 'failed']),
  progress: z.object({ phase: z.string(), share: z.number(), samplesRead: z.number().int() }),
  summary: RefitSummary.optional(),
  modelId: z.string().optional(),
  rolloutId: z.string().optional(),
  error: z.string().optional(),
  createdBy: z.string(),
  createdAt: IsoTime,
  finishedAt: IsoTime.optional(),
});
export type RefitJob = z.infer<typeof RefitJob>;

/** `GET /api/model-refits`: newest first. */
export const RefitJobList = z.object({ jobs: z.array(RefitJob) });
export type RefitJobList = z.infer<typeof RefitJobList>;
