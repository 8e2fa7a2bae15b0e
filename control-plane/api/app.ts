/**
 * The HTTP API (Hono). Routes are chained so `AppType` carries every route for `hc<AppType>` (web UI).
 * One file per resource under routes/; to add a resource, write `routes/<name>.ts` exporting `<name>Routes(deps)`
 * and chain `.route('/api', <name>Routes(deps))` here. Domain errors map to HTTP only in on-error.ts.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import type { ApiDeps } from './deps.ts';
import { createOnError } from './on-error.ts';
import { healthRoutes } from './routes/health.ts';
import { enrollRoutes } from './routes/enroll.ts';
import { hostRoutes } from './routes/hosts.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { metricsRoutes } from './routes/metrics.ts';

/** Extra sub-apps mounted under a path (e.g. fleet routes), after the core ones. */
export type ApiMount = { path: string; app: Hono<any> };

/**
 * `middleware` runs before every route, core and mounted (the fleet module's access control: one route → role table
 * for the whole API).
 */
export function createApi(deps: ApiDeps, mounts: ApiMount[] = [], middleware: MiddlewareHandler[] = []) {
  const base = new Hono();
  for (const mw of middleware) base.use('*', mw);
  const app = base
    .route('/', healthRoutes(deps))
    .route('/api', enrollRoutes(deps))
    .route('/api', hostRoutes(deps))
    .route('/api', tokenRoutes(deps))
    .route('/api', metricsRoutes(deps));
  for (const m of mounts) app.route(m.path, m.app);
  app.onError(createOnError(deps.log));
  app.notFound((c) => c.json({ error: 'not-found', message: `no route ${c.req.method} ${c.req.path}` }, 404));
  return app;
}

/** The typed route table for `hc<AppType>(baseUrl)`. */
export type AppType = ReturnType<typeof createApi>;
