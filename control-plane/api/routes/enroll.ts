import { Hono } from 'hono';
import { z } from 'zod';
import { INVENTORY_LIMITS, boundedJsonObject, namedRecord, text } from '../../../contract/text.ts';
import type { ApiDeps } from '../deps.ts';
import { jsonBody } from '../validate.ts';
import { shaped } from '../respond.ts';
import { Enrolled } from '../../../contract/api/tokens.ts';

const label = text(256, 1);
/** Unauthenticated, so every field is bounded: strings well-formed, the inventory as on MQTT (contract/text.ts). */
export const EnrollBody = z.object({
  token: text(512, 1),
  hostname: text(253, 1),
  agentVersion: text(64, 1),
  labels: namedRecord(
    z
      .string()
      .min(1)
      .max(64)
      .regex(/^[a-zA-Z0-9_./-]+$/, 'label keys use letters, digits and _ . / -'),
    label,
    'label key',
  ).optional(),
  inventory: boundedJsonObject(INVENTORY_LIMITS).optional(),
});

/** `POST /api/enroll` (no auth: the enrollment token is the credential). */
export function enrollRoutes(deps: ApiDeps) {
  return new Hono().post('/enroll', jsonBody(EnrollBody, 'enrollment request'), async (c) => {
    return c.json(shaped(Enrolled, await deps.enrollment.enroll(c.req.valid('json'))), 201);
  });
}
