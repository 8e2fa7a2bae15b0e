import { Hono } from 'hono';
import type { ApiDeps } from '../deps.ts';
import { shaped } from '../respond.ts';
import { Health } from '../../../contract/api/common.ts';

/** `GET /healthz` → 200 `{status:'ok'}` (no auth). */
export function healthRoutes(_deps: ApiDeps) {
  return new Hono().get('/healthz', (c) => c.json(shaped(Health, { status: 'ok' })));
}
