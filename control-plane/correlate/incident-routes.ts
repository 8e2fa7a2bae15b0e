/** Incident, silence, approval and webhook routes (mounted under /api). Authorization: access middleware. */
import { Hono } from 'hono';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { parseJsonBody } from '../api/validate.ts';
import type { AccessEnv } from '../access/access-middleware.ts';
import type { Principal } from '../access/principal.ts';
import type { AuditLog } from '../access/audit-log.ts';
import type { Db } from '../db/database.ts';
import { NotFoundError } from '../../contract/errors.ts';
import type { IncidentService } from './incident-service.ts';
import type { Notifier } from '../notify/notifier.ts';
import type { Incident } from './incident.ts';

const SilenceBody = z.object({ kind: z.enum(['silence', 'maintenance']).default('silence'), selector: z.string().max(2000), schedule: z.record(z.string(), z.unknown()), reason: z.string().min(1).max(2000), pauseActions: z.array(z.string().min(1)).max(64).optional() });
const Decide = z.object({ approved: z.boolean(), reason: z.string().max(2000).optional() });
const Note = z.object({ text: z.string().min(1).max(4000).optional(), note: z.string().min(1).max(4000).optional() }).refine((n) => (n.text ?? n.note) !== undefined, { message: 'text is required', path: ['text'] });
/** A webhook as the API shows it: never its secret, only whether deliveries are signed. */
function webhookJson(w: { id: string; name: string; url: string; events: unknown; enabled: boolean; secret: string | null; createdBy: string; createdAt: Date }) {
  const { secret, ...rest } = w;
  return { ...rest, signed: secret !== null };
}

/** A new HMAC signing secret (32 random bytes). */
function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

const WebhookBody = z.object({ name: z.string().min(1).max(64), url: z.string().url().refine((u) => /^https?:\/\//.test(u), 'http(s) URL'), events: z.array(z.enum(['incident', 'escalation'])).default([]) });

/** The stored incident plus the fields the web UI reads (`rootCause`, `timeline`). */
function incidentJson(i: Incident) {
  return {
    ...i,
    rootCause: { hint: `${i.hint.key}=${i.hint.value}`, explanation: i.hint.explanation, confidence: Math.min(1, i.hint.score / 10) },
    timeline: [
      { at: i.openedAt, kind: 'opened', text: i.title, by: 'correlator' },
      ...(i.acknowledged ? [{ at: i.acknowledged.at, kind: 'acknowledged', text: '', by: i.acknowledged.by }] : []),
      ...i.notes.map((n) => ({ at: n.at, kind: 'note', text: n.text, by: n.by })),
      ...(i.resolvedAt !== null ? [{ at: i.resolvedAt, kind: 'resolved', text: '', by: null }] : []),
    ].sort((a, b) => a.at - b.at),
  };
}

const who = (p: Principal) => (p.kind === 'user' ? p.username : `agent:${p.agentId}`);

/** Mount under `/api`. */
export function incidentRoutes(deps: { incidents: IncidentService; db: Db; audit: AuditLog; notifier: Pick<Notifier, 'invalidate'> }) {
  return new Hono<AccessEnv>()
    .get('/incidents', async (c) => c.json({ incidents: (await deps.incidents.list({ ...(c.req.query('status') ? { status: c.req.query('status')! } : {}) })).map(incidentJson) }))
    .get('/incidents/:id', async (c) => c.json(incidentJson(await deps.incidents.get(c.req.param('id')))))
    .post('/incidents/:id/ack', async (c) => c.json(incidentJson(await deps.incidents.acknowledge(c.req.param('id'), who(c.get('access'))))))
    .post('/incidents/:id/resolve', async (c) => c.json(incidentJson(await deps.incidents.resolve(c.req.param('id'), who(c.get('access'))))))
    .post('/incidents/:id/notes', async (c) => { const n = await parseJsonBody(c, Note, 'note'); return c.json(incidentJson(await deps.incidents.annotate(c.req.param('id'), who(c.get('access')), (n.text ?? n.note)!))); })
    .post('/incidents/:id/annotate', async (c) => { const n = await parseJsonBody(c, Note, 'note'); return c.json(incidentJson(await deps.incidents.annotate(c.req.param('id'), who(c.get('access')), (n.text ?? n.note)!))); })
    .get('/silences', async (c) => c.json({ silences: await deps.incidents.listSilences() }))
    .post('/silences', async (c) => c.json(await deps.incidents.createSilence(await parseJsonBody(c, SilenceBody, 'silence'), who(c.get('access'))), 201))
    .delete('/silences/:id', async (c) => { await deps.incidents.deleteSilence(c.req.param('id'), who(c.get('access'))); return c.json({ deleted: c.req.param('id') }); })
    .get('/approvals', async (c) => c.json({ approvals: await deps.incidents.listApprovals(c.req.query('status')) }))
    .post('/approvals/:id/decide', async (c) => {
      const b = await parseJsonBody(c, Decide, 'decision');
      return c.json(await deps.incidents.decide(c.req.param('id'), b.approved, who(c.get('access')), b.reason));
    })
    .post('/approvals/:id/approve', async (c) => c.json(await deps.incidents.decide(c.req.param('id'), true, who(c.get('access')), (await parseJsonBody(c, z.object({ reason: z.string().max(2000).optional() }), 'decision')).reason)))
    .post('/approvals/:id/deny', async (c) => c.json(await deps.incidents.decide(c.req.param('id'), false, who(c.get('access')), (await parseJsonBody(c, z.object({ reason: z.string().max(2000).optional() }), 'decision')).reason)))
    .get('/webhooks', async (c) => c.json({ webhooks: (await deps.db.webhook.findMany({ orderBy: { createdAt: 'asc' } })).map(webhookJson) }))
    // The signing secret is returned here and by rotate-secret only; listings say whether a webhook is signed.
    .post('/webhooks', async (c) => {
      const b = await parseJsonBody(c, WebhookBody, 'webhook');
      const secret = newWebhookSecret();
      const row = await deps.db.webhook.create({ data: { id: `wh-${randomBytes(6).toString('hex')}`, name: b.name, url: b.url, events: b.events, secret, createdBy: who(c.get('access')) } });
      deps.notifier.invalidate();
      return c.json({ ...webhookJson(row), secret }, 201);
    })
    .post('/webhooks/:id/rotate-secret', async (c) => {
      const secret = newWebhookSecret();
      const r = await deps.db.webhook.updateMany({ where: { id: c.req.param('id') }, data: { secret } });
      if (!r.count) throw new NotFoundError('webhook', c.req.param('id'));
      deps.notifier.invalidate();
      return c.json({ ...webhookJson((await deps.db.webhook.findUnique({ where: { id: c.req.param('id') } }))!), secret });
    })
    .delete('/webhooks/:id', async (c) => {
      const r = await deps.db.webhook.deleteMany({ where: { id: c.req.param('id') } });
      if (!r.count) throw new NotFoundError('webhook', c.req.param('id'));
      deps.notifier.invalidate();
      return c.json({ deleted: c.req.param('id') });
    });
}
