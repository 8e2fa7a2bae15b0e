import { Hono } from 'hono';
import { z } from 'zod';
import type { ApiDeps } from '../deps.ts';
import { parseJsonBody } from '../validate.ts';

const label = z.string().min(1).max(256);
export const EnrollBody = z.object({
  token: z.string().min(1).max(512),
  hostname: z.string().min(1).max(253),
  agentVersion: z.string().min(1).max(64),
  labels: z.record(z.string().min(1).max(64).regex(/^[a-zA-Z0-9_.\/-]+$/, 'label keys use letters, digits and _ . / -'), label).optional(),
  inventory: z.record(z.string(), z.unknown()).optional(),
});

/** `POST /api/enroll` (no auth: the enrollment token is the credential). */
export function enrollRoutes(deps: ApiDeps) {
  return new Hono().post('/enroll', async (c) => {
    const body = await parseJsonBody(c, EnrollBody, 'enrollment request');
    return c.json(await deps.enrollment.enroll(body), 201);
  });
}
