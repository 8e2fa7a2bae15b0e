/**
 * Policy, rollout, model and per-host version routes (mounted under /api). Authorization: access middleware + the
 * route table (control-plane/access/route-table.ts); handlers read the caller from `access`.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { parseDuration } from '../../contract/duration.ts';
import { ValidationError, NotFoundError } from '../../contract/errors.ts';
import { parseJsonBody, parseWith } from '../api/validate.ts';
import type { AccessEnv } from '../access/access-middleware.ts';
import type { Principal } from '../access/principal.ts';
import type { PolicyStore } from './policy-store.ts';
import type { RolloutService, RolloutRequest } from './rollout-service.ts';
import type { ModelRegistry } from './model-registry.ts';
import { parseSelector } from '../../contract/label-selector.ts';

const duration = z.union([z.string(), z.number()]).refine((v) => parseDuration(v) !== null, 'a duration like 30s, 10m, 1h or milliseconds');
const PolicyBody = z.object({ name: z.string().optional(), source: z.string().min(1).max(1_000_000).optional(), document: z.record(z.string(), z.unknown()).optional(), format: z.enum(['yaml', 'json']).default('yaml'), comment: z.string().max(2000).optional() })
  .refine((b) => (b.source === undefined) !== (b.document === undefined), { message: 'give exactly one of source (YAML/JSON text) or document (JSON object)', path: ['source'] });
const PublishBody = z.object({
  version: z.number().int().positive().optional(),
  selector: z.string().max(2000).default(''),
  percents: z.array(z.number()).min(1).max(10).optional(),
  canaries: z.array(z.string().min(1)).max(1000).optional(),
  soak: duration.optional(),
  ackTimeout: duration.optional(),
  thresholds: z.object({ maxRatio: z.number().positive().optional(), minDelta: z.number().nonnegative().optional(), minTreatedHosts: z.number().int().nonnegative().optional(), maxLatencyRatio: z.number().positive().optional() }).optional(),
  autoRollback: z.boolean().optional(),
  /** The web UI's spelling of `percents`. */
  waves: z.object({ percents: z.array(z.number()).min(1).max(10) }).optional(),
});
const RollbackBody = z.object({ version: z.number().int().positive(), selector: z.string().max(2000).default('') });

function rolloutRequest(b: z.infer<typeof PublishBody>): RolloutRequest {
  parseSelector(b.selector);
  const percents = b.percents ?? b.waves?.percents;
  return {
    selector: b.selector,
    ...(percents ? { percents } : {}),
    ...(b.canaries ? { canaries: b.canaries } : {}),
    ...(b.soak !== undefined ? { soakMs: parseDuration(b.soak)! } : {}),
    ...(b.ackTimeout !== undefined ? { ackTimeoutMs: parseDuration(b.ackTimeout)! } : {}),
    ...(b.thresholds ? { thresholds: b.thresholds } : {}),
    ...(b.autoRollback !== undefined ? { autoRollback: b.autoRollback } : {}),
  };
}

const who = (p: Principal) => (p.kind === 'user' ? p.username : `agent:${p.agentId}`);

/** Dependencies. */
export interface FleetRouteDeps { policies: PolicyStore; rollouts: RolloutService; models: ModelRegistry; maxModelBytes?: number }

/** Mount under `/api`. */
export function fleetRoutes(deps: FleetRouteDeps) {
  const src = (b: z.infer<typeof PolicyBody>) => (b.document ? { source: JSON.stringify(b.document, null, 2), format: 'json' as const } : { source: b.source!, format: b.format });
  return new Hono<AccessEnv>()
    .get('/policies', async (c) => c.json({ policies: await deps.policies.list() }))
    .post('/policies', async (c) => {
      const b = await parseJsonBody(c, PolicyBody, 'policy');
      if (!b.name) throw new ValidationError([{ path: 'name', message: 'required' }], 'policy');
      const s = src(b);
      return c.json(await deps.policies.create(b.name, s.source, s.format, who(c.get('access')), b.comment), 201);
    })
    .get('/policies/:id', async (c) => c.json(await deps.policies.version(c.req.param('id'))))
    .put('/policies/:id', async (c) => {
      const b = await parseJsonBody(c, PolicyBody, 'policy');
      const s = src(b);
      return c.json(await deps.policies.update(c.req.param('id'), s.source, s.format, who(c.get('access')), b.comment), 201);
    })
    // Web UI: save = create the set on first save, else a new version.
    .post('/policies/:id/versions', async (c) => {
      const b = await parseJsonBody(c, PolicyBody, 'policy');
      const s = src(b);
      const id = c.req.param('id');
      const exists = (await deps.policies.list()).some((p) => p.id === id);
      const v = exists ? await deps.policies.update(id, s.source, s.format, who(c.get('access')), b.comment) : await deps.policies.create(id, s.source, s.format, who(c.get('access')), b.comment);
      return c.json(v, 201);
    })
    .post('/policies/:id/dry-run', async (c) => {
      const b = await parseJsonBody(c, z.object({ selector: z.string().max(2000).default('') }), 'dry run');
      await deps.policies.version(c.req.param('id'));
      return c.json({ hosts: await deps.rollouts.targets(b.selector) });
    })
    .get('/policies/:id/versions', async (c) => c.json({ versions: await deps.policies.versions(c.req.param('id')) }))
    .get('/policies/:id/versions/:version', async (c) => c.json(await deps.policies.version(c.req.param('id'), parseWith(z.coerce.number().int().positive(), c.req.param('version'), 'version'))))
    .post('/policies/:id/publish', async (c) => {
      const b = await parseJsonBody(c, PublishBody, 'publish request');
      const v = await deps.policies.version(c.req.param('id'), b.version);
      return c.json(await deps.rollouts.start('policy', v.policySet, v.id, rolloutRequest(b), who(c.get('access'))), 201);
    })
    .post('/policies/:id/rollback', async (c) => {
      const b = await parseJsonBody(c, RollbackBody, 'rollback request');
      const v = await deps.policies.version(c.req.param('id'), b.version);
      return c.json(await deps.rollouts.start('policy', v.policySet, v.id, { selector: b.selector }, who(c.get('access')), { immediate: true }), 201);
    })
    .get('/rollouts', async (c) => c.json({ rollouts: await deps.rollouts.list({ ...(c.req.query('subject') ? { subject: c.req.query('subject')! } : {}), ...(c.req.query('status') ? { status: c.req.query('status')! } : {}) }) }))
    .get('/rollouts/:id', async (c) => {
      const r = await deps.rollouts.get(c.req.param('id'));
      if (!r) throw new NotFoundError('rollout', c.req.param('id'));
      return c.json(r);
    })
    .post('/rollouts/:id/rollback', async (c) => {
      const r = await deps.rollouts.get(c.req.param('id'));
      if (!r) throw new NotFoundError('rollout', c.req.param('id'));
      if (!r.previousVersion) throw new ValidationError([{ path: 'previousVersion', message: `rollout '${r.id}' has no previous version to go back to` }], 'rollback');
      return c.json(await deps.rollouts.start(r.kind, r.subject, r.previousVersion, { selector: r.selector }, who(c.get('access')), { immediate: true }), 201);
    })
    .post('/rollouts/:id/halt', async (c) => c.json(await deps.rollouts.halt(c.req.param('id'), who(c.get('access')))))
    .get('/fleet/hosts', async (c) => c.json({ hosts: await deps.rollouts.hostVersions() }))
    .get('/models', async (c) => c.json({ models: await deps.models.list() }))
    .post('/models', async (c) => {
      const max = deps.maxModelBytes ?? 64 * 1024 * 1024;
      if (Number(c.req.header('content-length') ?? 0) > max + 1024 * 1024) throw new ValidationError([{ path: 'file', message: `larger than ${max} bytes` }], 'model upload');
      const form = await c.req.parseBody();
      const file = form['file'];
      const card = form['card'];
      const issues: { path: string; message: string }[] = [];
      if (!(file instanceof File)) issues.push({ path: 'file', message: 'multipart field "file" (the .onnx) is required' });
      if (typeof card !== 'string' && !(card instanceof File)) issues.push({ path: 'card', message: 'multipart field "card" (the card JSON) is required' });
      if (issues.length) throw new ValidationError(issues, 'model upload');
      let cardJson: unknown;
      try { cardJson = JSON.parse(typeof card === 'string' ? card : await (card as File).text()); } catch { throw new ValidationError([{ path: 'card', message: 'not JSON' }], 'model upload'); }
      const bytes = new Uint8Array(await (file as File).arrayBuffer());
      return c.json(await deps.models.upload(bytes, cardJson, who(c.get('access'))), 201);
    })
    .get('/models/:id', async (c) => c.json(await deps.models.get(c.req.param('id'))))
    .get('/models/:id/file', async (c) => {
      const m = await deps.models.get(c.req.param('id'));
      const body = await deps.models.file(m.id);
      return c.body(new Uint8Array(body), 200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length), 'x-model-sha256': m.sha256 });
    })
    .post('/models/:id/publish', async (c) => {
      const b = await parseJsonBody(c, PublishBody.omit({ version: true }), 'publish request');
      const m = await deps.models.get(c.req.param('id'));
      return c.json(await deps.rollouts.start('model', m.name, m.id, rolloutRequest({ ...b, autoRollback: b.autoRollback ?? true }), who(c.get('access'))), 201);
    });
}
