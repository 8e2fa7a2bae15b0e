/**
 * Building blocks of the HTTP API's response schemas (contract/api/*): the control plane types every `c.json(...)`
 * with these (control-plane/api/respond.ts) and the web UI reads the same types through `hc<AppType>`.
 */
import { z } from 'zod';

/** An instant as an ISO 8601 string (UTC, `2026-01-02T03:04:05.678Z`). */
export const IsoTime = z.iso.datetime();
/** An instant as milliseconds since the Unix epoch. */
export const EpochMs = z.number().int().nonnegative();
/** Label key → value. */
export const Labels = z.record(z.string(), z.string());

/** The body of every non-2xx answer (control-plane/api/on-error.ts). */
export const ErrorBody = z.object({
  error: z.string(),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** `DELETE` answers that name what was removed. */
export const Deleted = z.object({ deleted: z.string() });
export type Deleted = z.infer<typeof Deleted>;

/** `GET /healthz`. */
export const Health = z.object({ status: z.literal('ok') });
export type Health = z.infer<typeof Health>;
