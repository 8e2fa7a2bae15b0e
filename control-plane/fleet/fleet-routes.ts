/**
 * Policy, rollout, model and per-host version routes (mounted under /api). Authorization: access middleware + the
 * route table (control-plane/access/route-table.ts); handlers read the caller from `access`.
 */
import { BODY_LIMITS, jsonProblem } from '../../contract/text.ts';
import { Hono } from 'hono';
import { z } from 'zod';
import { parseDuration } from '../../contract/duration.ts';
import { ConflictError, ForbiddenError, ValidationError, NotFoundError } from '../../contract/errors.ts';
import { jsonBody, parseWith, queryOf } from '../api/validate.ts';
import { shaped } from '../api/respond.ts';
import { HostVersionList } from '../../contract/api/hosts.ts';
import { Model, ModelList } from '../../contract/api/models.ts';
import { RefitBody, RefitJob, RefitJobList } from '../../contract/api/refits.ts';
import type { RefitJobs } from './refit-jobs.ts';
import { DryRun, PolicyList, PolicyVersion, PolicyVersionList } from '../../contract/api/policies.ts';
import { Rollout, RolloutComparison, RolloutList } from '../../contract/api/rollouts.ts';
import { AgentVersion, AgentVersionList } from '../../contract/api/agent-versions.ts';
import { AGENT_SUBJECT, type AgentVersions } from './agent-versions.ts';
import type { AccessEnv } from '../access/access-middleware.ts';
import type { Principal } from '../access/principal.ts';
import { roleAtLeast } from '../access/roles.ts';
import type { PolicyStore } from './policy-store.ts';
import type { RolloutService, RolloutRequest } from './rollout-service.ts';
import type { ModelRegistry } from './model-registry.ts';
import { parseSelector } from '../../contract/label-selector.ts';
import { liveVersions } from './policy-live.ts';

const duration = z
  .union([z.string(), z.number()])
  .refine((v) => parseDuration(v) !== null, 'a duration like 30s, 10m, 1h or milliseconds');
const PolicyBody = z
  .object({
    name: z.string().optional(),
    source: z.string().min(1).max(1_000_000).optional(),
    document: z.record(z.string(), z.unknown()).optional(),
    format: z.enum(['yaml', 'json']).default('yaml'),
    comment: z.string().max(2000).optional(),
  })
  .refine((b) => (b.source === undefined) !== (b.document === undefined), {
    message: 'give exactly one of source (YAML/JSON text) or document (JSON object)',
    path: ['source'],
  });
const PublishBody = z.object({
  version: z.number().int().positive().optional(),
  selector: z.string().max(2000).default(''),
  percents: z.array(z.number()).min(1).max(10).optional(),
  canaries: z.array(z.string().min(1)).max(1000).optional(),
  soak: duration.optional(),
  ackTimeout: duration.optional(),
  thresholds: z
    .object({
      maxRatio: z.number().positive().optional(),
      minDelta: z.number().nonnegative().optional(),
      minTreatedHosts: z.number().int().nonnegative().optional(),
      maxLatencyRatio: z.number().positive().optional(),
    })
    .optional(),
  autoRollback: z.boolean().optional(),
  /** The web UI's spelling of `percents`. */
  waves: z.object({ percents: z.array(z.number()).min(1).max(10) }).optional(),
});
const RollbackBody = z.object({ version: z.number().int().positive(), selector: z.string().max(2000).default('') });
const DryRunBody = z.object({ selector: z.string().max(2000).default('') });
const RolloutQuery = z.object({ subject: z.string().max(200).optional(), status: z.string().max(64).optional() });
const ModelPublishBody = PublishBody.omit({ version: true });

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

/** Publishing an agent version is admin-only (route-table.ts); rolling one back or resuming it re-sends an agent
 * upgrade, so it needs the same role although the generic rollout routes are open to operators. */
function requireAdminForAgent(kind: string, p: Principal | undefined): void {
  if (kind !== 'agent') return;
  if (p?.kind === 'user' && roleAtLeast(p.role, 'admin')) return;
  throw new ForbiddenError(p?.kind === 'user' ? p.role : (p?.kind ?? 'anonymous'), 'admin');
}
/** Dependencies. */
export interface FleetRouteDeps {
  policies: PolicyStore;
  rollouts: RolloutService;
  models: ModelRegistry;
  agentVersions: AgentVersions;
  refits: RefitJobs;
  maxModelBytes?: number;
}

/** Mount under `/api`. */
export function fleetRoutes(deps: FleetRouteDeps) {
  const src = (b: z.infer<typeof PolicyBody>) =>
    b.document
      ? { source: JSON.stringify(b.document, null, 2), format: 'json' as const }
      : { source: b.source!, format: b.format };
  return (
    new Hono<AccessEnv>()
      .get('/policies', async (c) => {
        const live = liveVersions(await deps.rollouts.list({ kind: 'policy' }));
        const policies = (await deps.policies.list()).map((p) => ({ ...p, ...live(p.id) }));
        return c.json(shaped(PolicyList, { policies }));
      })
      .post('/policies', jsonBody(PolicyBody, 'policy'), async (c) => {
        const b = c.req.valid('json');
        if (!b.name) throw new ValidationError([{ path: 'name', message: 'required' }], 'policy');
        const s = src(b);
        const v = await deps.policies.create(b.name, s.source, s.format, who(c.get('access')), b.comment);
        return c.json(shaped(PolicyVersion, v), 201);
      })
      .get('/policies/:id', async (c) => c.json(shaped(PolicyVersion, await deps.policies.version(c.req.param('id')))))
      .put('/policies/:id', jsonBody(PolicyBody, 'policy'), async (c) => {
        const b = c.req.valid('json');
        const s = src(b);
        const v = await deps.policies.update(c.req.param('id'), s.source, s.format, who(c.get('access')), b.comment);
        return c.json(shaped(PolicyVersion, v), 201);
      })
      // Web UI: save = create the set on first save, else a new version.
      .post('/policies/:id/versions', jsonBody(PolicyBody, 'policy'), async (c) => {
        const b = c.req.valid('json');
        const s = src(b);
        const id = c.req.param('id');
        const by = who(c.get('access'));
        const exists = (await deps.policies.list()).some((p) => p.id === id);
        const v = exists
          ? await deps.policies.update(id, s.source, s.format, by, b.comment)
          : await deps.policies.create(id, s.source, s.format, by, b.comment);
        return c.json(shaped(PolicyVersion, v), 201);
      })
      .post('/policies/:id/dry-run', jsonBody(DryRunBody, 'dry run'), async (c) => {
        await deps.policies.version(c.req.param('id'));
        return c.json(shaped(DryRun, await deps.rollouts.dryRun(c.req.valid('json').selector)));
      })
      .get('/policies/:id/versions', async (c) =>
        c.json(shaped(PolicyVersionList, { versions: await deps.policies.versions(c.req.param('id')) })),
      )
      .get('/policies/:id/versions/:version', async (c) => {
        const n = parseWith(z.coerce.number().int().positive(), c.req.param('version'), 'version');
        return c.json(shaped(PolicyVersion, await deps.policies.version(c.req.param('id'), n)));
      })
      .post('/policies/:id/publish', jsonBody(PublishBody, 'publish request'), async (c) => {
        const b = c.req.valid('json');
        const v = await deps.policies.publishable(c.req.param('id'), b.version);
        return c.json(
          shaped(
            Rollout,
            await deps.rollouts.start('policy', v.policySet, v.id, rolloutRequest(b), who(c.get('access'))),
          ),
          201,
        );
      })
      .post('/policies/:id/rollback', jsonBody(RollbackBody, 'rollback request'), async (c) => {
        const b = c.req.valid('json');
        const v = await deps.policies.publishable(c.req.param('id'), b.version);
        const r = await deps.rollouts.start(
          'policy',
          v.policySet,
          v.id,
          { selector: b.selector },
          who(c.get('access')),
          { immediate: true },
        );
        return c.json(shaped(Rollout, r), 201);
      })
      .get('/rollouts', queryOf(RolloutQuery), async (c) => {
        const q = c.req.valid('query');
        const filter = { ...(q.subject ? { subject: q.subject } : {}), ...(q.status ? { status: q.status } : {}) };
        return c.json(shaped(RolloutList, { rollouts: await deps.rollouts.list(filter) }));
      })
      .get('/rollouts/:id', async (c) => {
        const r = await deps.rollouts.get(c.req.param('id'));
        if (!r) throw new NotFoundError('rollout', c.req.param('id'));
        return c.json(shaped(Rollout, r));
      })
      .post('/rollouts/:id/rollback', async (c) => {
        const r = await deps.rollouts.get(c.req.param('id'));
        if (!r) throw new NotFoundError('rollout', c.req.param('id'));
        requireAdminForAgent(r.kind, c.get('access'));
        if (!r.previousVersion)
          throw new ValidationError(
            [{ path: 'previousVersion', message: `rollout '${r.id}' has no previous version to go back to` }],
            'rollback',
          );
        if (r.kind === 'model' && !(await deps.models.available(r.previousVersion)))
          throw new ConflictError(
            `${r.previousVersion} is neither in the model registry nor bundled with this control plane's agent: ` +
              'upload it to roll back to it',
            'not-in-registry',
          );
        if (r.kind === 'agent') deps.agentVersions.get(r.previousVersion); // NotFound before a rollout is saved
        const back = await deps.rollouts.start(
          r.kind,
          r.subject,
          r.previousVersion,
          { selector: r.selector },
          who(c.get('access')),
          { immediate: true },
        );
        return c.json(shaped(Rollout, back), 201);
      })
      .get('/rollouts/:id/comparison', async (c) =>
        c.json(shaped(RolloutComparison, await deps.rollouts.compare(c.req.param('id')))),
      )
      .post('/rollouts/:id/resume', async (c) => {
        const r = await deps.rollouts.get(c.req.param('id'));
        if (!r) throw new NotFoundError('rollout', c.req.param('id'));
        requireAdminForAgent(r.kind, c.get('access'));
        return c.json(shaped(Rollout, await deps.rollouts.resume(r.id, who(c.get('access')))));
      })
      .post('/rollouts/:id/halt', async (c) =>
        c.json(shaped(Rollout, await deps.rollouts.halt(c.req.param('id'), who(c.get('access'))))),
      )
      .get('/fleet/hosts', async (c) => c.json(shaped(HostVersionList, { hosts: await deps.rollouts.hostVersions() })))
      .get('/models', async (c) =>
        c.json(shaped(ModelList, { models: await deps.models.list(), bundled: await deps.models.bundled() })),
      )
      .post('/models', async (c) => {
        const max = deps.maxModelBytes ?? 64 * 1024 * 1024;
        if (Number(c.req.header('content-length') ?? 0) > max + 1024 * 1024)
          throw new ValidationError([{ path: 'file', message: `larger than ${max} bytes` }], 'model upload');
        const form = await c.req.parseBody();
        const file = form['file'];
        const card = form['card'];
        const issues: { path: string; message: string }[] = [];
        if (!(file instanceof File))
          issues.push({ path: 'file', message: 'multipart field "file" (the .onnx) is required' });
        if (typeof card !== 'string' && !(card instanceof File))
          issues.push({ path: 'card', message: 'multipart field "card" (the card JSON) is required' });
        if (issues.length) throw new ValidationError(issues, 'model upload');
        let cardJson: unknown;
        try {
          cardJson = JSON.parse(typeof card === 'string' ? card : await (card as File).text());
        } catch {
          throw new ValidationError([{ path: 'card', message: 'not JSON' }], 'model upload');
        }
        const cardProblem = jsonProblem(cardJson, BODY_LIMITS);
        if (cardProblem)
          throw new ValidationError(
            [{ path: `card.${cardProblem.path}`, message: cardProblem.message }],
            'model upload',
          );
        const bytes = new Uint8Array(await (file as File).arrayBuffer());
        return c.json(shaped(Model, await deps.models.upload(bytes, cardJson, who(c.get('access')))), 201);
      })
      .get('/models/:id', async (c) => c.json(shaped(Model, await deps.models.get(c.req.param('id')))))
      .get('/models/:id/file', async (c) => {
        const m = await deps.models.get(c.req.param('id'));
        const body = await deps.models.file(m.id);
        return c.body(new Uint8Array(body), 200, {
          'content-type': 'application/octet-stream',
          'content-length': String(body.length),
          'x-model-sha256': m.sha256,
        });
      })
      .get('/model-refits', async (c) => c.json(shaped(RefitJobList, { jobs: await deps.refits.list() })))
      .post('/model-refits', jsonBody(RefitBody, 'refit'), async (c) =>
        c.json(shaped(RefitJob, await deps.refits.start(c.req.valid('json'), who(c.get('access')))), 202),
      )
      .get('/model-refits/:id', async (c) => c.json(shaped(RefitJob, await deps.refits.get(c.req.param('id')))))
      .post('/models/:id/publish', jsonBody(ModelPublishBody, 'publish request'), async (c) => {
        const b = c.req.valid('json');
        const m = await deps.models.get(c.req.param('id'));
        const request = rolloutRequest({ ...b, autoRollback: b.autoRollback ?? true });
        return c.json(
          shaped(Rollout, await deps.rollouts.start('model', m.name, m.id, request, who(c.get('access')))),
          201,
        );
      })
      .get('/agent-versions', async (c) => {
        const running: Record<string, number> = {};
        const previous: Record<string, number> = {};
        const platforms: Record<string, number> = {};
        const add = (to: Record<string, number>, k: string | null) => k !== null && (to[k] = (to[k] ?? 0) + 1);
        for (const h of await deps.rollouts.hostVersions()) {
          if (h.revoked) continue;
          add(running, h.agent.applied);
          add(previous, h.agent.previous);
          add(platforms, h.agent.platform ?? 'unknown');
        }
        return c.json(shaped(AgentVersionList, { versions: deps.agentVersions.list(), running, previous, platforms }));
      })
      .post('/agent-versions', async (c) => {
        const form = await c.req.parseBody();
        const file = form['file'];
        const sig = form['signature'];
        const issues: { path: string; message: string }[] = [];
        if (!(file instanceof File))
          issues.push({ path: 'file', message: 'multipart field "file" (the agent .tar.gz) is required' });
        if (!(sig instanceof File) && typeof sig !== 'string')
          issues.push({
            path: 'signature',
            message: 'multipart field "signature" (the .sig file, or its base64) is required',
          });
        if (issues.length) throw new ValidationError(issues, 'agent upload');
        const signature =
          sig instanceof File
            ? new Uint8Array(await sig.arrayBuffer())
            : new Uint8Array(Buffer.from(String(sig), 'base64'));
        const f = file as File;
        const v = await deps.agentVersions.upload(
          f.name,
          new Uint8Array(await f.arrayBuffer()),
          signature,
          who(c.get('access')),
        );
        return c.json(shaped(AgentVersion, v), 201);
      })
      .get('/agent-versions/:version', async (c) =>
        c.json(shaped(AgentVersion, deps.agentVersions.get(c.req.param('version')))),
      )
      .post('/agent-versions/:version/publish', jsonBody(ModelPublishBody, 'publish request'), async (c) => {
        const v = deps.agentVersions.get(c.req.param('version'));
        const request = rolloutRequest(c.req.valid('json'));
        return c.json(
          shaped(Rollout, await deps.rollouts.start('agent', AGENT_SUBJECT, v.version, request, who(c.get('access')))),
          201,
        );
      })
  );
}
