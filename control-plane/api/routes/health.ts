import { Hono } from 'hono';
import type { ApiDeps } from '../deps.ts';

/** `GET /healthz` → 200 `{status:'ok'}` (no auth). */
export function healthRoutes(_deps: ApiDeps) {
  return new Hono().get('/healthz', (c) => c.json({ status: 'ok' as const }));
}
