/**
 * Routes incidents and escalations to the configured webhooks (Alertmanager format). Per-host escalations are
 * inhibited when a group incident already explains the host (one page for the rack, not twenty). Deliveries run in
 * the background with bounded retries; `drain()` waits for them (graceful stop).
 */
import type { Incident } from '../correlate/incident.ts';
import { escalationPayload, incidentPayload, type AmPayload } from './alertmanager.ts';
import type { DeliveryResult, WebhookSecret } from './webhook-sender.ts';
import type { WebhookRepository } from '../repositories/webhook-repository.ts';

/** The notifier. */
export interface Notifier {
  incident(i: Incident): void;
  escalation(e: Parameters<typeof escalationPayload>[0]): void;
  drain(): Promise<void>;
  stats(): { delivered: number; failed: number; inhibited: number };
  inhibited(): void;
  /** Forgets the cached webhooks (after one is created, deleted or its secret rotated): the next delivery, and the
   * next attempt of a delivery under way, read them again. */
  invalidate(): void;
}

/** Creates the notifier over the webhook repository and a sender. */
export function createNotifier(opts: {
  webhooks: Pick<WebhookRepository, 'list'>;
  send: (url: string, payload: unknown, secret?: WebhookSecret) => Promise<DeliveryResult>;
  externalURL: string;
  cacheMs?: number;
  now?: () => number;
}): Notifier {
  const now = opts.now ?? Date.now;
  const inflight = new Set<Promise<unknown>>();
  const st = { delivered: 0, failed: 0, inhibited: 0 };
  let cache: {
    at: number;
    hooks: { id: string; name: string; url: string; events: string[]; secret: string | null }[];
  } | null = null;
  const hooks = async () => {
    if (!cache || now() - cache.at > (opts.cacheMs ?? 10_000)) {
      const rows = await opts.webhooks.list({ enabledOnly: true });
      cache = {
        at: now(),
        hooks: rows.map((r) => ({ id: r.id, name: r.name, url: r.url, events: r.events, secret: r.secret })),
      };
    }
    return cache.hooks;
  };
  const dispatch = (kind: 'incident' | 'escalation', build: (receiver: string) => AmPayload) => {
    const p = (async () => {
      for (const h of await hooks()) {
        if (h.events.length && !h.events.includes(kind)) continue;
        // the secret is read again before each attempt: a rotation during retries signs the next attempt anew
        const r = await opts.send(
          h.url,
          build(h.name),
          h.secret ? async () => (await hooks()).find((x) => x.id === h.id)?.secret ?? h.secret : null,
        );
        if (r.delivered) st.delivered++;
        else st.failed++;
      }
    })().catch(() => {
      st.failed++;
    });
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  };
  return {
    incident: (i) =>
      dispatch('incident', (receiver) => incidentPayload(i, { receiver, externalURL: opts.externalURL })),
    escalation: (e) =>
      dispatch('escalation', (receiver) => escalationPayload(e, { receiver, externalURL: opts.externalURL })),
    async drain() {
      while (inflight.size) await Promise.allSettled([...inflight]);
    },
    stats: () => ({ ...st }),
    inhibited() {
      st.inhibited++;
    },
    invalidate() {
      cache = null;
    },
  };
}
