/** Incident, silence, approval and webhook routes (mounted under /api). Authorization: access middleware. */
import { Hono } from 'hono';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { jsonBody, queryOf } from '../api/validate.ts';
import { isoOrNull, shaped } from '../api/respond.ts';
import { Deleted } from '../../contract/api/common.ts';
import {
  Approval,
  ApprovalList,
  Incident as IncidentJson,
  IncidentList,
  Silence,
  SilenceList,
  Webhook,
  WebhookList,
  WebhookWithSecret,
  WebhookTestResult,
} from '../../contract/api/incidents.ts';
import { sendTestDelivery } from '../notify/test-delivery.ts';
import type { AccessEnv } from '../access/access-middleware.ts';
import type { Principal } from '../access/principal.ts';
import type { AuditLog } from '../access/audit-log.ts';
import type { WebhookRepository } from '../repositories/webhook-repository.ts';
import { NotFoundError } from '../../contract/errors.ts';
import type { IncidentService } from './incident-service.ts';
import type { Notifier } from '../notify/notifier.ts';
import type { Incident } from './incident.ts';

const SilenceBody = z.object({
  kind: z.enum(['silence', 'maintenance']).default('silence'),
  selector: z.string().max(2000),
  schedule: z.record(z.string(), z.unknown()),
  reason: z.string().min(1).max(2000),
  pauseActions: z.array(z.string().min(1)).max(64).optional(),
});
const Decide = z.object({ approved: z.boolean(), reason: z.string().max(2000).optional() });
const Note = z
  .object({ text: z.string().min(1).max(4000).optional(), note: z.string().min(1).max(4000).optional() })
  .refine((n) => (n.text ?? n.note) !== undefined, { message: 'text is required', path: ['text'] });
/** `POST /api/incidents/:id/assign`: a username, or null to clear. */
const Assign = z.object({ assignee: z.string().trim().min(1).max(64).nullable() });
const DecideReason = z.object({ reason: z.string().max(2000).optional() });
/** `?status=` of the incident and approval lists. */
const StatusQuery = z.object({ status: z.string().max(32).optional() });

type WebhookRow = {
  id: string;
  name: string;
  url: string;
  events: unknown;
  enabled: boolean;
  secret: string | null;
  createdBy: string;
  createdAt: Date;
};
/** A webhook as the API shows it: never its secret, only whether deliveries are signed (stored `events` checked). */
function webhookJson(w: WebhookRow): Webhook {
  const { secret, createdAt, ...rest } = w;
  return Webhook.parse({ ...rest, createdAt: createdAt.toISOString(), signed: secret !== null });
}

type ApprovalRow = {
  id: string;
  requestId: string;
  source: string;
  hostId: string | null;
  groupKey: string | null;
  groupValue: string | null;
  action: string;
  reason: string;
  policy: string | null;
  condition: string | null;
  status: string;
  requestedAt: Date;
  decidedBy: string | null;
  decidedAt: Date | null;
  decisionReason: string | null;
};
/** An approval as the API shows it (dates as ISO strings; the stored status checked against the contract). */
function approvalJson(a: ApprovalRow, ttlMs: number): Approval {
  const expiresAt = a.status === 'pending' ? new Date(a.requestedAt.getTime() + ttlMs).toISOString() : null;
  return Approval.parse({
    ...a,
    requestedAt: a.requestedAt.toISOString(),
    decidedAt: isoOrNull(a.decidedAt),
    expiresAt,
  });
}

/** A new HMAC signing secret (32 random bytes). */
function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

const WebhookBody = z.object({
  name: z.string().min(1).max(64),
  url: z
    .string()
    .url()
    .refine((u) => /^https?:\/\//.test(u), 'http(s) URL'),
  events: z.array(z.enum(['incident', 'escalation'])).default([]),
});

/** The stored incident plus the fields the web UI reads (`rootCause`, `timeline`). */
function incidentJson(i: Incident): IncidentJson {
  return {
    ...i,
    rootCause: {
      hint: `${i.hint.key}=${i.hint.value}`,
      explanation: i.hint.explanation,
      confidence: Math.min(1, i.hint.score / 10),
    },
    timeline: [
      { at: i.openedAt, kind: 'opened' as const, text: i.title, by: 'correlator' },
      ...(i.acknowledged
        ? [{ at: i.acknowledged.at, kind: 'acknowledged' as const, text: '', by: i.acknowledged.by }]
        : []),
      ...i.notes.map((n) => ({ at: n.at, kind: 'note' as const, text: n.text, by: n.by })),
      ...(i.resolvedAt !== null
        ? [
            {
              at: i.resolvedAt,
              kind: 'resolved' as const,
              text: i.resolution?.text ?? '',
              by: i.resolution?.by ?? null,
            },
          ]
        : []),
    ].sort((a, b) => a.at - b.at),
  };
}

const who = (p: Principal) => (p.kind === 'user' ? p.username : `agent:${p.agentId}`);

/** Mount under `/api`. */
export function incidentRoutes(deps: {
  incidents: IncidentService;
  webhooks: WebhookRepository;
  audit: AuditLog;
  notifier: Pick<Notifier, 'invalidate'>;
  /** Expiry of pending approval requests (approval-expiry.ts), for their `expiresAt`. */
  approvalTtlMs: number;
}) {
  return (
    new Hono<AccessEnv>()
      .get('/incidents', queryOf(StatusQuery), async (c) => {
        const { status } = c.req.valid('query');
        return c.json(
          shaped(IncidentList, { incidents: (await deps.incidents.list(status ? { status } : {})).map(incidentJson) }),
        );
      })
      .get('/incidents/:id', async (c) =>
        c.json(shaped(IncidentJson, incidentJson(await deps.incidents.get(c.req.param('id'))))),
      )
      .post('/incidents/:id/ack', async (c) => {
        return c.json(
          shaped(IncidentJson, incidentJson(await deps.incidents.acknowledge(c.req.param('id'), who(c.get('access'))))),
        );
      })
      .post('/incidents/:id/resolve', async (c) => {
        return c.json(
          shaped(IncidentJson, incidentJson(await deps.incidents.resolve(c.req.param('id'), who(c.get('access'))))),
        );
      })
      .post('/incidents/:id/assign', jsonBody(Assign, 'assignment'), async (c) => {
        const { assignee } = c.req.valid('json');
        return c.json(
          shaped(
            IncidentJson,
            incidentJson(await deps.incidents.assign(c.req.param('id'), assignee, who(c.get('access')))),
          ),
        );
      })
      .post('/incidents/:id/notes', jsonBody(Note, 'note'), async (c) => {
        const n = c.req.valid('json');
        return c.json(
          shaped(
            IncidentJson,
            incidentJson(await deps.incidents.annotate(c.req.param('id'), who(c.get('access')), (n.text ?? n.note)!)),
          ),
        );
      })
      .post('/incidents/:id/annotate', jsonBody(Note, 'note'), async (c) => {
        const n = c.req.valid('json');
        return c.json(
          shaped(
            IncidentJson,
            incidentJson(await deps.incidents.annotate(c.req.param('id'), who(c.get('access')), (n.text ?? n.note)!)),
          ),
        );
      })
      .get('/silences', async (c) => c.json(shaped(SilenceList, { silences: await deps.incidents.listSilences() })))
      .post('/silences', jsonBody(SilenceBody, 'silence'), async (c) => {
        return c.json(
          shaped(Silence, await deps.incidents.createSilence(c.req.valid('json'), who(c.get('access')))),
          201,
        );
      })
      .delete('/silences/:id', async (c) => {
        await deps.incidents.deleteSilence(c.req.param('id'), who(c.get('access')));
        return c.json(shaped(Deleted, { deleted: c.req.param('id') }));
      })
      .get('/approvals', queryOf(StatusQuery), async (c) => {
        const approvals = await deps.incidents.listApprovals(c.req.valid('query').status);
        return c.json(shaped(ApprovalList, { approvals: approvals.map((a) => approvalJson(a, deps.approvalTtlMs)) }));
      })
      .post('/approvals/:id/decide', jsonBody(Decide, 'decision'), async (c) => {
        const b = c.req.valid('json');
        return c.json(
          shaped(
            Approval,
            approvalJson(
              await deps.incidents.decide(c.req.param('id'), b.approved, who(c.get('access')), b.reason),
              deps.approvalTtlMs,
            ),
          ),
        );
      })
      .post('/approvals/:id/approve', jsonBody(DecideReason, 'decision'), async (c) => {
        const { reason } = c.req.valid('json');
        return c.json(
          shaped(
            Approval,
            approvalJson(
              await deps.incidents.decide(c.req.param('id'), true, who(c.get('access')), reason),
              deps.approvalTtlMs,
            ),
          ),
        );
      })
      .post('/approvals/:id/deny', jsonBody(DecideReason, 'decision'), async (c) => {
        const { reason } = c.req.valid('json');
        return c.json(
          shaped(
            Approval,
            approvalJson(
              await deps.incidents.decide(c.req.param('id'), false, who(c.get('access')), reason),
              deps.approvalTtlMs,
            ),
          ),
        );
      })
      .get('/webhooks', async (c) => {
        return c.json(shaped(WebhookList, { webhooks: (await deps.webhooks.list()).map(webhookJson) }));
      })
      // The signing secret is returned here and by rotate-secret only; listings say whether a webhook is signed.
      .post('/webhooks', jsonBody(WebhookBody, 'webhook'), async (c) => {
        const b = c.req.valid('json');
        const secret = newWebhookSecret();
        const row = await deps.webhooks.create({
          id: `wh-${randomBytes(6).toString('hex')}`,
          name: b.name,
          url: b.url,
          events: b.events,
          secret,
          createdBy: who(c.get('access')),
        });
        deps.notifier.invalidate();
        return c.json(shaped(WebhookWithSecret, { ...webhookJson(row), secret }), 201);
      })
      .post('/webhooks/:id/rotate-secret', async (c) => {
        const secret = newWebhookSecret();
        if (!(await deps.webhooks.setSecret(c.req.param('id'), secret)))
          throw new NotFoundError('webhook', c.req.param('id'));
        deps.notifier.invalidate();
        return c.json(
          shaped(WebhookWithSecret, { ...webhookJson((await deps.webhooks.get(c.req.param('id')))!), secret }),
        );
      })
      // A real HTTP delivery of a test payload (one attempt); 200 with the outcome, delivered or not.
      .post('/webhooks/:id/test', async (c) => {
        const w = await deps.webhooks.get(c.req.param('id'));
        if (!w) throw new NotFoundError('webhook', c.req.param('id'));
        const r = await sendTestDelivery(w, { externalURL: new URL(c.req.url).origin });
        await deps.audit.record({
          actor: `user:${who(c.get('access'))}`,
          actorType: 'user',
          action: 'webhook.tested',
          target: w.id,
          detail: { delivered: r.delivered, status: r.status, latencyMs: r.latencyMs, error: r.error },
        });
        return c.json(shaped(WebhookTestResult, r));
      })
      .delete('/webhooks/:id', async (c) => {
        if (!(await deps.webhooks.delete(c.req.param('id')))) throw new NotFoundError('webhook', c.req.param('id'));
        deps.notifier.invalidate();
        return c.json(shaped(Deleted, { deleted: c.req.param('id') }));
      })
  );
}
