import { Hono } from 'hono';
import { z } from 'zod';
import { NotFoundError } from '../../../contract/errors.ts';
import type { AuthEnv } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { parseWith } from '../validate.ts';
import { hostJson } from './serialize.ts';

const ms = z.coerce.number().int().nonnegative();
export const TimeQuery = z.object({ since: ms.optional(), until: ms.optional(), limit: z.coerce.number().int().min(1).max(10_000).default(1000), type: z.string().max(64).optional() });

/**
 * Host routes (admin): list and get (with each host's latest anomaly score and activity, and `openIncidents` when
 * an open-incident provider is injected), samples, events, revoke.
 */
export function hostRoutes(deps: ApiDeps) {
  const { store } = deps;
  const getHost = async (id: string) => {
    const h = await store.hosts.get(id);
    if (!h) throw new NotFoundError('host', id);
    return h;
  };
  const openIncidents = async () => (deps.openIncidentsByHost ? deps.openIncidentsByHost() : null);
  const withIncidents = <T extends { id: string }>(json: T, counts: Map<string, number> | null) => (counts ? { ...json, openIncidents: counts.get(json.id) ?? 0 } : json);
  return new Hono<AuthEnv>()
    .use('/hosts', deps.auth.required)
    .use('/hosts/*', deps.auth.required)
    .get('/hosts', async (c) => {
      // Two statements for the whole page (three with the fleet module): the host rows, every host's latest
      // sample/event (read side) and the open incidents.
      const [hosts, activity, incidents] = await Promise.all([store.hosts.list(), store.telemetry.latestActivity(), openIncidents()]);
      const byHost = new Map(activity.map((a) => [a.hostId, a]));
      return c.json({ hosts: hosts.map((h) => withIncidents(hostJson(h, byHost.get(h.id)), incidents)) });
    })
    .get('/hosts/:id', async (c) => {
      const h = await getHost(c.req.param('id'));
      const [activity, incidents] = await Promise.all([store.telemetry.latestActivity(h.id), openIncidents()]);
      return c.json(withIncidents(hostJson(h, activity[0]), incidents));
    })
    .get('/hosts/:id/samples', async (c) => {
      const q = parseWith(TimeQuery, c.req.query(), 'query');
      const h = await getHost(c.req.param('id'));
      return c.json({ hostId: h.id, samples: await store.telemetry.listSamples(h.id, q) });
    })
    .get('/hosts/:id/events', async (c) => {
      const q = parseWith(TimeQuery, c.req.query(), 'query');
      const h = await getHost(c.req.param('id'));
      return c.json({ hostId: h.id, events: await store.telemetry.listEvents(h.id, q) });
    })
    .post('/hosts/:id/revoke', async (c) => c.json(hostJson(await deps.enrollment.revokeHost(c.req.param('id')))));
}
