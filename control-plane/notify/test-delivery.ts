/**
 * "Send test delivery" of a webhook: one real HTTP POST (no retries) of an Alertmanager-format payload whose alert
 * is `HomeostatTestDelivery` (status resolved, so a receiver that pages on firing alerts stays quiet), signed like
 * every delivery when the webhook has a secret. The result says what happened: HTTP status, latency, error.
 */
import type { AmPayload } from './alertmanager.ts';
import { createWebhookSender, type WebhookSenderOptions } from './webhook-sender.ts';

/** What a test delivery did. */
export interface TestDeliveryResult {
  webhook: string;
  delivered: boolean;
  /** The receiver's HTTP status, or null when none came back (refused, timed out, DNS). */
  status: number | null;
  latencyMs: number;
  error: string | null;
  at: string;
}

/** The payload of a test delivery to webhook `id` named `name`. */
export function testPayload(w: { id: string; name: string }, at: Date, externalURL: string): AmPayload {
  const labels = { alertname: 'HomeostatTestDelivery', webhook: w.id, severity: 'info' };
  const annotations = { summary: `Test delivery to webhook ${w.name} from Homeostat` };
  const time = at.toISOString();
  return {
    version: '4',
    groupKey: `{}:{webhook="${w.id}"}`,
    truncatedAlerts: 0,
    status: 'resolved',
    receiver: w.name,
    groupLabels: { webhook: w.id },
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL,
    alerts: [
      {
        status: 'resolved',
        labels,
        annotations,
        startsAt: time,
        endsAt: time,
        generatorURL: `${externalURL}/settings`,
        fingerprint: `test-${w.id}-${at.getTime()}`,
      },
    ],
  };
}

/** Sends one test delivery now (one attempt, `timeoutMs` default 10 s). */
export async function sendTestDelivery(
  w: { id: string; name: string; url: string; secret: string | null },
  opts: { now?: () => number; externalURL?: string; timeoutMs?: number; fetch?: WebhookSenderOptions['fetch'] } = {},
): Promise<TestDeliveryResult> {
  const now = opts.now ?? Date.now;
  const at = new Date(now());
  const send = createWebhookSender({
    maxAttempts: 1,
    timeoutMs: opts.timeoutMs ?? 10_000,
    now,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
  const started = performance.now();
  const r = await send(w.url, testPayload(w, at, opts.externalURL ?? ''), w.secret);
  const latencyMs = Math.round((performance.now() - started) * 10) / 10;
  return { webhook: w.id, delivered: r.delivered, status: r.status, latencyMs, error: r.error, at: at.toISOString() };
}
