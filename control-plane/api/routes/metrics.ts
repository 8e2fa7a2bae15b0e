import { Hono } from 'hono';
import type { AuthEnv } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { shaped } from '../respond.ts';
import { Metrics } from '../../../contract/api/hosts.ts';

/** `GET /api/metrics` (admin): counters and gauges as JSON (a Prometheus view can be layered on later). */
export function metricsRoutes(deps: ApiDeps) {
  return new Hono<AuthEnv>()
    .use('/metrics', deps.auth.required)
    .get('/metrics', (c) => c.json(shaped(Metrics, { counters: deps.counters.snapshot(), gauges: deps.gauges() })));
}
