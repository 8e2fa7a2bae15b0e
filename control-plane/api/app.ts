/**
 * The HTTP API (Hono). Every JSON route is chained into one typed app, so `AppType` carries the whole API for
 * `hc<AppType>` (web UI, tests): the core routes (routes/*.ts) and, with the fleet module, its access, fleet and
 * incident routes. Responses are typed by their contract schemas (contract/api/*). To add a resource, write
 * `routes/<name>.ts` exporting `<name>Routes(deps)` and chain `.route('/api', <name>Routes(deps))` in `coreRoutes`.
 * Domain errors map to HTTP only in on-error.ts.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { compress } from 'hono/compress';
import { COMPRESSIBLE_CONTENT_TYPE_REGEX } from 'hono/utils/compress';
import type { accessRoutes } from '../access/access-routes.ts';
import type { incidentRoutes } from '../correlate/incident-routes.ts';
import type { fleetRoutes } from '../fleet/fleet-routes.ts';
import type { ApiDeps } from './deps.ts';
import { createOnError } from './on-error.ts';
import { createBodyLimit } from './body-limits.ts';
import { healthRoutes } from './routes/health.ts';
import { enrollRoutes } from './routes/enroll.ts';
import { hostRoutes } from './routes/hosts.ts';
import { cordonRoutes } from './routes/cordon.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { installRoutes } from './routes/install.ts';

/** Extra untyped sub-apps mounted under a path after the typed routes (live stream, static UI, Prometheus text). */
export type ApiMount = { path: string; app: Hono<any> };

/** The fleet module's typed route apps (control-plane/fleet/fleet-module.ts), each mounted under `/api`. */
export type FleetApiRoutes = {
  access: ReturnType<typeof accessRoutes>;
  fleet: ReturnType<typeof fleetRoutes>;
  incidents: ReturnType<typeof incidentRoutes>;
};

/** What createApi mounts besides the core routes. */
export type ApiOptions = {
  /** The fleet module's routes; without them (core only) those paths answer 404. */
  fleetRoutes?: FleetApiRoutes;
  mounts?: ApiMount[];
  /**
   * Runs before every route, typed and mounted (the fleet module's access control: one route → role table for the
   * whole API).
   */
  middleware?: MiddlewareHandler[];
};

/** The core routes: health, enrollment, hosts, enrollment tokens, metrics. */
function coreRoutes(deps: ApiDeps) {
  return new Hono()
    .route('/', healthRoutes(deps))
    .route('/api', enrollRoutes(deps))
    .route('/api', hostRoutes(deps))
    .route('/api', cordonRoutes(deps))
    .route('/api', tokenRoutes(deps))
    .route('/api', installRoutes(deps))
    .route('/api', metricsRoutes(deps));
}

/** The core routes plus the fleet module's. */
function allRoutes(deps: ApiDeps, fleet: FleetApiRoutes) {
  return coreRoutes(deps).route('/api', fleet.access).route('/api', fleet.fleet).route('/api', fleet.incidents);
}

/** Builds the API app (middleware first, then the typed routes, then the untyped mounts). */
export function createApi(deps: ApiDeps, options: ApiOptions = {}): Hono {
  const app = new Hono();
  // Every refused request is counted by status (`http.rejected.413`, …) and every failure (`http.failed.500`) for
  // /metrics: outermost, so the body limit's 413, onError's answers and notFound's 404 are all seen.
  app.use('*', async (c, next) => {
    await next();
    const status = c.res.status;
    if (status >= 400) deps.counters.inc(`http.${status >= 500 ? 'failed' : 'rejected'}.${status}`);
  });
  // gzip (or deflate) for every compressible answer over 1 kB: API JSON, CSV/NDJSON exports, metrics text, and UI files
  // that have no precompressed variant. Never the live stream (text/event-stream is excluded by the filter) and never
  // what already carries a Content-Encoding (web-static.ts serves the build's .br/.gz files as they are).
  app.use(
    '*',
    compress({ contentTypeFilter: (type) => COMPRESSIBLE_CONTENT_TYPE_REGEX.test(type) || /ndjson/.test(type) }),
  );
  // Bodies are bounded before anything (access control included) can read them.
  app.use('*', createBodyLimit(deps.bodyLimits));
  for (const mw of options.middleware ?? []) app.use('*', mw);
  app.route('/', options.fleetRoutes ? allRoutes(deps, options.fleetRoutes) : coreRoutes(deps));
  for (const m of options.mounts ?? []) app.route(m.path, m.app);
  app.onError(createOnError(deps.log));
  app.notFound((c) => c.json({ error: 'not-found', message: `no route ${c.req.method} ${c.req.path}` }, 404));
  return app;
}

/** The typed route table of the whole API (core + fleet module) for `hc<AppType>(baseUrl)`. */
export type AppType = ReturnType<typeof allRoutes>;
