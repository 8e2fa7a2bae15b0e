/**
 * Delivers webhook payloads with bounded retries: exponential backoff with full jitter (base 1 s, cap 60 s, at most
 * 6 attempts by default). 2xx = delivered; 4xx other than 408/429 = permanent failure (no retry); network errors,
 * timeouts, 408, 429 and 5xx are retried. Clock, sleep, random and fetch are injected.
 */

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
}

/** Outcome of one delivery. */
export interface DeliveryResult { url: string; delivered: boolean; attempts: number; status: number | null; error: string | null }

/** Full-jitter backoff delay before retry `attempt` (1-based). */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** (attempt - 1)));
}

/** Creates `send(url, payload)`. */
export function createWebhookSender(o: WebhookSenderOptions = {}): (url: string, payload: unknown) => Promise<DeliveryResult> {
  const doFetch = o.fetch ?? fetch;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = o.random ?? Math.random;
  const maxAttempts = o.maxAttempts ?? 6;
  return async (url, payload) => {
    const body = JSON.stringify(payload);
    let status: number | null = null;
    let error: string | null = null;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (attempt > 1) await sleep(backoffDelay(attempt - 1, o.baseMs ?? 1000, o.capMs ?? 60_000, random));
      try {
        const res = await doFetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'homeostat' }, body, signal: AbortSignal.timeout(o.timeoutMs ?? 10_000) });
        status = res.status;
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return done({ url, delivered: true, attempts: attempt, status, error: null });
        error = `HTTP ${res.status}`;
        if (res.status < 500 && res.status !== 408 && res.status !== 429) return done({ url, delivered: false, attempts: attempt, status, error });
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
