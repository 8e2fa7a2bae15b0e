import { Hono } from 'hono';
import { z } from 'zod';
import { parseDuration } from '../../../contract/duration.ts';
import type { AuthEnv } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { jsonBody } from '../validate.ts';
import { shaped } from '../respond.ts';
import {
  CreatedEnrollmentToken,
  type EnrolledHost,
  EnrollmentToken,
  EnrollmentTokenList,
} from '../../../contract/api/tokens.ts';
import { tokenJson } from './serialize.ts';
import { namedRecord } from '../../../contract/text.ts';

/** Enrollment tokens live at most one year (a far-future expiry would be an Invalid Date); at least 1 ms. */
export const MIN_TOKEN_TTL_MS = 1;
export const MAX_TOKEN_TTL_MS = 365 * 86_400_000;

/** Host labels as an administrator gives them (a token's, or a host's re-label): key → value. */
export const LabelMap = namedRecord(
  z
    .string()
    .min(1)
    .max(64)
    .regex(/^[a-zA-Z0-9_./-]+$/, 'label keys use letters, digits and _ . / -'),
  z.string().min(1).max(256),
  'label key',
);

export const CreateTokenBody = z.object({
  labels: LabelMap.default({}),
  uses: z.number().int().min(1).max(1_000_000).default(1),
  ttl: z
    .union([z.string().max(32), z.number()])
    .optional()
    .refine((v) => {
      if (v === undefined) return true;
      const ms = parseDuration(v);
      return ms !== null && ms >= MIN_TOKEN_TTL_MS && ms <= MAX_TOKEN_TTL_MS;
    }, 'ttl must be a duration from 1ms to 365d, like 30m, 24h, 7d (a bare number is milliseconds: 1 to 31536000000)'),
});

/** Enrollment-token routes (admin): create, list, revoke. */
export function tokenRoutes(deps: ApiDeps) {
  return new Hono<AuthEnv>()
    .use('/tokens', deps.auth.required)
    .use('/tokens/*', deps.auth.required)
    .post('/tokens', jsonBody(CreateTokenBody, 'token request'), async (c) => {
      const body = c.req.valid('json');
      const { token, record } = await deps.enrollment.createToken({
        labels: body.labels,
        uses: body.uses,
        ...(body.ttl !== undefined ? { ttlMs: parseDuration(body.ttl)! } : {}),
        createdBy: c.get('principal').username,
      });
      return c.json(shaped(CreatedEnrollmentToken, { token, ...tokenJson(record) }), 201);
    })
    .get('/tokens', async (c) => {
      const [tokens, hosts] = await Promise.all([deps.enrollment.listTokens(), deps.store.hosts.list()]);
      const byToken = new Map<string, EnrolledHost[]>();
      for (const h of [...hosts].sort((a, b) => a.enrolledAt.getTime() - b.enrolledAt.getTime())) {
        if (!h.enrollmentTokenId) continue;
        const list = byToken.get(h.enrollmentTokenId) ?? [];
        list.push({
          id: h.id,
          hostname: h.hostname,
          enrolledAt: h.enrolledAt.toISOString(),
          online: h.online,
          revoked: h.revokedAt !== null,
        });
        byToken.set(h.enrollmentTokenId, list);
      }
      return c.json(
        shaped(EnrollmentTokenList, {
          tokens: tokens.map((t) => ({ ...tokenJson(t), hosts: byToken.get(t.id) ?? [] })),
        }),
      );
    })
    .delete('/tokens/:id', async (c) =>
      c.json(shaped(EnrollmentToken, tokenJson(await deps.enrollment.revokeToken(c.req.param('id'))))),
    );
}
