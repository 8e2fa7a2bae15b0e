/** Enrollment tokens and the enrollment answer as the HTTP API returns them (`/api/tokens…`, `/api/enroll`). */
import { z } from 'zod';
import { IsoTime, Labels } from './common.ts';

/** An enrollment token (never its secret or hash); `state` is derived from revocation, expiry and uses left. */
export const EnrollmentToken = z.object({
  id: z.string(),
  labels: Labels,
  maxUses: z.number().int(),
  usesLeft: z.number().int(),
  expiresAt: IsoTime,
  revokedAt: IsoTime.nullable(),
  createdAt: IsoTime,
  createdBy: z.string().nullable(),
  state: z.enum(['active', 'revoked', 'expired', 'used-up']),
});
export type EnrollmentToken = z.infer<typeof EnrollmentToken>;

/** `POST /api/tokens`: the token with its one-time secret (`token`, shown once). */
export const CreatedEnrollmentToken = EnrollmentToken.extend({ token: z.string() });
export type CreatedEnrollmentToken = z.infer<typeof CreatedEnrollmentToken>;

/** A host a token enrolled (the Enrollment page lists them under each token). */
export const EnrolledHost = z.object({
  id: z.string(),
  hostname: z.string(),
  enrolledAt: IsoTime,
  online: z.boolean(),
  revoked: z.boolean(),
});
export type EnrolledHost = z.infer<typeof EnrolledHost>;

/** `GET /api/tokens`: each token with the hosts it enrolled (oldest first). */
export const EnrollmentTokenList = z.object({
  tokens: z.array(EnrollmentToken.extend({ hosts: z.array(EnrolledHost) })),
});
export type EnrollmentTokenList = z.infer<typeof EnrollmentTokenList>;

/** `POST /api/enroll`: the agent's identity and where to connect. */
export const Enrolled = z.object({
  agentId: z.string(),
  secret: z.string(),
  mqttUrl: z.string(),
  wsUrl: z.string(),
  publicKey: z.string(),
  labels: Labels,
  /**
   * Labels the agent asked for that the token's labels replaced (token labels win on conflict): key → what was
   * requested and what the host got. Absent when nothing was overridden.
   */
  overriddenLabels: z.record(z.string(), z.object({ requested: z.string(), applied: z.string() })).optional(),
});
export type Enrolled = z.infer<typeof Enrolled>;
