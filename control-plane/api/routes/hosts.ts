import { Hono } from 'hono';
import { z } from 'zod';
import { EventList, Host, HostList, RecentEvents, SampleList, SampleSeries } from '../../../contract/api/hosts.ts';
import { NotFoundError, ValidationError } from '../../../contract/errors.ts';
import type { AuthEnv } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { jsonBody, queryOf } from '../validate.ts';
import { LabelMap } from './tokens.ts';
import { shaped } from '../respond.ts';
import { hostJson } from './serialize.ts';
import { hostHealth } from '../../../contract/api/host-health.ts';
import { durationMs } from '../../../contract/duration.ts';
import type { HostOverview } from '../../store/ports.ts';
import type { OpenIncidentsByHost } from '../deps.ts';
import { HostLoss } from '../../../contract/api/host-loss.ts';
import { createLossLedger } from '../../ingest/loss-ledger.ts';

/** `PUT /api/hosts/:id/labels`: the host's new labels (all of them; an empty map removes every label). */
const HostLabelsBody = z.object({ labels: LabelMap });

/** `GET /api/hosts?window=`: the span of `anomalyPeak`, 1 min to 7 days (default 15 min). */
export const HostListQuery = z.object({
  window: durationMs
    .refine((ms) => ms >= 60_000 && ms <= 7 * 86_400_000, { message: 'window must be between 1m and 7d' })
    .default(15 * 60_000),
});

type IncidentCounts = Awaited<ReturnType<OpenIncidentsByHost>>;

/** Host JSON with its overview facts (peak, alert, unhealthy services), incidents, and the health derived from them. */
function withFacts(json: Host, overview: HostOverview | undefined, counts: IncidentCounts | null): Host {
  const inc = counts ? (counts.get(json.id) ?? { count: 0, severity: null }) : null;
  const a = overview?.alert ?? null;
  const alert = a ? { active: a.type === 'anomaly.started', since: a.startedAt, peak: a.peak, at: a.ts } : null;
  const servicesUnhealthy = overview?.servicesUnhealthy ?? null;
  return {
    ...json,
    ...(overview
      ? {
          anomalyPeak: overview.peak,
          alert,
          servicesUnhealthy,
          diskRisk: overview.diskRisk,
          failedCollectors: overview.failedCollectors,
        }
      : {}),
    ...(inc ? { openIncidents: inc.count, incidentSeverity: inc.severity } : {}),
    health: hostHealth({
      online: json.online,
      openIncidents: inc?.count ?? 0,
      incidentSeverity: inc?.severity ?? null,
      servicesUnhealthy,
      diskRisk: overview?.diskRisk ?? null,
      failedCollectors: overview?.failedCollectors ?? [],
      alertActive: alert?.active ?? false,
    }),
  };
}

const ms = z.coerce.number().int().nonnegative();
/**
 * Samples/events queries: newest first by default (`order=asc` for oldest first), `since` ≤ ts < `until`, at most
 * `limit`; `cursor` (the `nextCursor` of the previous page, `<ts>:<seq>`) continues where that page ended.
 */
export const TimeQuery = z.object({
  since: ms.optional(),
  until: ms.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  type: z.string().max(64).optional(),
  order: z.enum(['asc', 'desc']).default('desc'),
  cursor: z
    .string()
    .regex(/^\d{1,16}:\d{1,16}$/, 'cursor is the nextCursor of a previous page (<ts>:<seq>)')
    .optional()
    .transform((c) => (c ? { ts: Number(c.split(':')[0]), seq: Number(c.split(':')[1]) } : undefined)),
});

/** Longest span of `GET /api/hosts/:id/series` (the host page's widest range, 7 days, plus a minute of slack). */
export const MAX_SERIES_MS = 7 * 86_400_000 + 60_000;

/** `GET /api/hosts/:id/series`: [since, until) (until defaults to now) in at most `points` steps (default 600). */
export const SeriesQuery = z.object({
  since: ms,
  until: ms.optional(),
  points: z.coerce.number().int().min(10).max(2000).default(600),
});

/** `GET /api/events`: the newest `limit` events of the fleet, optionally of some comma-separated `types`. */
export const RecentEventsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(20),
  types: z
    .string()
    .max(500)
    .optional()
    .transform((t) => (t ? t.split(',').filter(Boolean) : undefined)),
});

/** `<ts>:<seq>` of the last row when the page is full (there may be more), else null. */
const nextCursor = (rows: { ts: number; seq: number }[], limit: number) =>
  rows.length === limit && rows.length > 0 ? `${rows.at(-1)!.ts}:${rows.at(-1)!.seq}` : null;

/**
 * Host routes (admin): list and get (with each host's latest anomaly score and activity, and `openIncidents` when
 * an open-incident provider is injected), samples, events, loss accounting, revoke, rotate-secret.
 */
export function hostRoutes(deps: ApiDeps) {
  const { store } = deps;
  const getHost = async (id: string) => {
    const h = await store.hosts.get(id);
    if (!h) throw new NotFoundError('host', id);
    return h;
  };
  const loss = deps.loss ?? createLossLedger(store.telemetry);
  const openIncidents = async () => (deps.openIncidentsByHost ? deps.openIncidentsByHost() : null);
  return (
    new Hono<AuthEnv>()
      .use('/hosts', deps.auth.required)
      .use('/hosts/*', deps.auth.required)
      .use('/events', deps.auth.required)
      .get('/events', queryOf(RecentEventsQuery), async (c) => {
        const q = c.req.valid('query');
        const events = await store.telemetry.recentEvents({ limit: q.limit, ...(q.types ? { types: q.types } : {}) });
        return c.json(shaped(RecentEvents, { events }));
      })
      .get('/hosts', queryOf(HostListQuery), async (c) => {
        // Three statements for the whole page (four with the fleet module): the host rows, every host's latest
        // sample/event, its overview facts over the window (read side) and the open incidents.
        const windowMs = c.req.valid('query').window;
        const [hosts, activity, overview, incidents] = await Promise.all([
          store.hosts.list(),
          store.telemetry.latestActivity(),
          store.telemetry.overview(Date.now() - windowMs),
          openIncidents(),
        ]);
        const byHost = new Map(activity.map((a) => [a.hostId, a]));
        const facts = new Map(overview.map((o) => [o.hostId, o]));
        // No inventories in the list (each may be up to 256 KiB): `inventoryHash` says whether one exists, and
        // `GET /api/hosts/:id` carries it.
        return c.json(
          shaped(HostList, {
            hosts: hosts.map((h) =>
              withFacts(hostJson({ ...h, inventory: null }, byHost.get(h.id)), facts.get(h.id), incidents),
            ),
            windowMs,
          }),
        );
      })
      .get('/hosts/:id', async (c) => {
        const h = await getHost(c.req.param('id'));
        const [activity, overview, incidents] = await Promise.all([
          store.telemetry.latestActivity(h.id),
          store.telemetry.overview(Date.now() - 15 * 60_000, h.id),
          openIncidents(),
        ]);
        return c.json(shaped(Host, withFacts(hostJson(h, activity[0]), overview[0], incidents)));
      })
      .get('/hosts/:id/samples', queryOf(TimeQuery), async (c) => {
        const h = await getHost(c.req.param('id'));
        const q = c.req.valid('query');
        const samples = await store.telemetry.listSamples(h.id, q);
        return c.json(shaped(SampleList, { hostId: h.id, samples, nextCursor: nextCursor(samples, q.limit) }));
      })
      .get('/hosts/:id/series', queryOf(SeriesQuery), async (c) => {
        const h = await getHost(c.req.param('id'));
        const q = c.req.valid('query');
        const until = q.until ?? Date.now();
        if (until <= q.since)
          throw new ValidationError([{ path: 'until', message: 'must be after since' }], 'series range');
        if (until - q.since > MAX_SERIES_MS)
          throw new ValidationError([{ path: 'since', message: 'the range is at most 7 days' }], 'series range');
        const stepMs = Math.max(1, Math.ceil((until - q.since) / q.points));
        const samples = await store.telemetry.sampleSeries(h.id, { since: q.since, until, stepMs });
        return c.json(shaped(SampleSeries, { hostId: h.id, since: q.since, until, stepMs, samples }));
      })
      .get('/hosts/:id/events', queryOf(TimeQuery), async (c) => {
        const h = await getHost(c.req.param('id'));
        const q = c.req.valid('query');
        const events = await store.telemetry.listEvents(h.id, q);
        return c.json(shaped(EventList, { hostId: h.id, events, nextCursor: nextCursor(events, q.limit) }));
      })
      // Seq gaps vs the ranges `outbox.dropped` events reported (contract/api/host-loss.ts).
      .get('/hosts/:id/loss', async (c) => {
        const h = await getHost(c.req.param('id'));
        return c.json(shaped(HostLoss, await loss.host(h.id)));
      })
      // Re-label: the host's labels replaced as given (selectors, grouping and incidents use them from now on).
      .put('/hosts/:id/labels', jsonBody(HostLabelsBody, 'labels'), async (c) => {
        const h = await getHost(c.req.param('id'));
        const updated = await store.hosts.setLabels(h.id, c.req.valid('json').labels);
        return c.json(shaped(Host, hostJson(updated)));
      })
      .post('/hosts/:id/revoke', async (c) =>
        c.json(shaped(Host, hostJson(await deps.enrollment.revokeHost(c.req.param('id'))))),
      )
      // Asks the agent to rotate its secret (docs/tls.md); 202: the agent switches when it gets the signed command.
      .post('/hosts/:id/rotate-secret', async (c) => {
        if (!deps.secretRotation) throw new NotFoundError('route', 'rotate-secret');
        return c.json(await deps.secretRotation.rotate(c.req.param('id')), 202);
      })
  );
}
