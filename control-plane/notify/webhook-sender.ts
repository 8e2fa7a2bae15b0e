/**
 * Delivers webhook payloads with bounded retries: exponential backoff with full jitter (base 1 s, cap 60 s, at most
 * 6 attempts by default). 2xx = delivered; 4xx other than 408/429 = permanent failure (no retry); network errors,
 * timeouts, 408, 429 and 5xx are retried. Clock, sleep, random and fetch are injected.
 *
 * Signed deliveries (a webhook with a secret): `X-Homeostat-Timestamp: <unix seconds>` and
 * `X-Homeostat-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`, computed per attempt. A receiver
 * checks the signature over the raw body and rejects old timestamps (replays): see {@link verifyWebhookSignature}.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Sender options. */
export interface WebhookSenderOptions {
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  baseMs?: number;
  capMs?: number;
  maxAttempts?: number;
  timeoutMs?: number;
  onResult?: (r: DeliveryResult) => void;
  /** Clock for the signature timestamp (ms; default Date.now). */
  now?: () => number;
}

/** Header names of signed deliveries. */
export const SIGNATURE_HEADER = 'x-homeostat-signature';
export const TIMESTAMP_HEADER = 'x-homeostat-timestamp';

/** `sha256=<hex>` of HMAC-SHA256(secret, `${timestamp}.${body}`). */
export function signWebhook(secret: string, timestampSeconds: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')}`;
}

/**
 * For receivers (and tests): true when `signature` is {@link signWebhook} of the raw body and the timestamp is within
 * `toleranceSeconds` (default 300) of `nowSeconds`.
 */
export function verifyWebhookSignature(
  secret: string,
  headers: { signature: string | null; timestamp: string | null },
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const ts = Number(headers.timestamp);
  if (!headers.signature || !Number.isInteger(ts) || Math.abs(nowSeconds - ts) > toleranceSeconds) return false;
  const want = Buffer.from(signWebhook(secret, ts, body));
  const got = Buffer.from(headers.signature);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** Outcome of one delivery. */
export interface DeliveryResult {
  url: string;
  delivered: boolean;
  attempts: number;
  status: number | null;
  error: string | null;
}

/** Full-jitter backoff delay before retry `attempt` (1-based). */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** (attempt - 1)));
}

/** The signing secret, or how to read the current one before each attempt (so a retry after a rotation signs with
 * the new secret); none = unsigned. */
export type WebhookSecret = string | null | undefined | (() => Promise<string | null | undefined>);

/** Creates `send(url, payload, secret?)`; with a secret every attempt is signed (see the file comment). */
export function createWebhookSender(
  o: WebhookSenderOptions = {},
): (url: string, payload: unknown, secret?: WebhookSecret) => Promise<DeliveryResult> {
  const doFetch = o.fetch ?? fetch;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = o.random ?? Math.random;
  const maxAttempts = o.maxAttempts ?? 6;
  const now = o.now ?? Date.now;
  return async (url, payload, secret) => {
    const body = JSON.stringify(payload);
    let status: number | null = null;
    let error: string | null = null;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (attempt > 1) await sleep(backoffDelay(attempt - 1, o.baseMs ?? 1000, o.capMs ?? 60_000, random));
      try {
        const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'homeostat' };
        const key = typeof secret === 'function' ? await secret() : secret;
        if (key) {
          const ts = Math.floor(now() / 1000);
          headers[TIMESTAMP_HEADER] = String(ts);
          headers[SIGNATURE_HEADER] = signWebhook(key, ts, body);
        }
        const res = await doFetch(url, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
        });
        status = res.status;
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return done({ url, delivered: true, attempts: attempt, status, error: null });
        error = `HTTP ${res.status}`;
        if (res.status < 500 && res.status !== 408 && res.status !== 429)
          return done({ url, delivered: false, attempts: attempt, status, error });
      } catch (err) {
        status = null;
        error = (err as Error).message;
      }
    }
    return done({ url, delivered: false, attempts: maxAttempts, status, error });
  };
  function done(r: DeliveryResult): DeliveryResult {
    o.onResult?.(r);
    return r;
  }
}
