/**
 * `POST /api/hosts/:id/cordon {reason}` and `POST /api/hosts/:id/uncordon` (operator; audited by the access
 * middleware like every state-changing request). Both answer the host as it is now (idempotent: 200 either way).
 */
import { Hono } from 'hono';
import { CordonRequest, Host } from '../../../contract/api/hosts.ts';
import { createCordonService } from '../../cordon/cordon-service.ts';
import type { AuthEnv } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { shaped } from '../respond.ts';
import { jsonBody } from '../validate.ts';
import { hostJson } from './serialize.ts';

/** The cordon routes (mounted under `/api`). */
export function cordonRoutes(deps: ApiDeps) {
  const cordons = createCordonService({ hosts: deps.store.hosts });
  return new Hono<AuthEnv>()
    .use('/hosts/:id/cordon', deps.auth.required)
    .use('/hosts/:id/uncordon', deps.auth.required)
    .post('/hosts/:id/cordon', jsonBody(CordonRequest, 'cordon'), async (c) => {
      const { reason } = c.req.valid('json');
      const r = await cordons.cordon(c.req.param('id'), c.get('principal').username, reason);
      return c.json(shaped(Host, hostJson(r.host)));
    })
    .post('/hosts/:id/uncordon', async (c) => {
      const r = await cordons.uncordon(c.req.param('id'));
      return c.json(shaped(Host, hostJson(r.host)));
    });
}
