import { Hono } from 'hono';
import { z } from 'zod';
import { parseDuration } from '../../../contract/duration.ts';
import type { AuthEnv } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { parseJsonBody } from '../validate.ts';
import { tokenJson } from './serialize.ts';

export const CreateTokenBody = z.object({
  labels: z.record(z.string().min(1).max(64).regex(/^[a-zA-Z0-9_.\/-]+$/, 'label keys use letters, digits and _ . / -'), z.string().min(1).max(256)).default({}),
  uses: z.number().int().min(1).max(1_000_000).default(1),
  ttl: z.union([z.string(), z.number()]).optional().refine((v) => v === undefined || (parseDuration(v) ?? 0) > 0, 'ttl must be a positive duration like 30m, 24h, 7d'),
});

/** Enrollment-token routes (admin): create, list, revoke. */
export function tokenRoutes(deps: ApiDeps) {
  return new Hono<AuthEnv>()
    .use('/tokens', deps.auth.required)
    .use('/tokens/*', deps.auth.required)
    .post('/tokens', async (c) => {
      const body = await parseJsonBody(c, CreateTokenBody, 'token request');
      const { token, record } = await deps.enrollment.createToken({
        labels: body.labels, uses: body.uses, ...(body.ttl !== undefined ? { ttlMs: parseDuration(body.ttl)! } : {}), createdBy: c.get('principal').username,
      });
      return c.json({ token, ...tokenJson(record) }, 201);
    })
    .get('/tokens', async (c) => c.json({ tokens: (await deps.enrollment.listTokens()).map((t) => tokenJson(t)) }))
    .delete('/tokens/:id', async (c) => c.json(tokenJson(await deps.enrollment.revokeToken(c.req.param('id')))));
}
