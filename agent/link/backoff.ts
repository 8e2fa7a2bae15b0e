/**
 * Reconnect backoff: exponential, full jitter, capped (AWS "full jitter"): delay = random() * min(cap, base * 2^attempt).
 * Full jitter spreads a fleet that lost its broker at the same instant over the whole window instead of in waves.
 */

/** Timer functions, injected so tests drive them with a fake clock. */
export type Timers = {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
};

/** Real timers (the default). */
export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Backoff options. Defaults: base 500 ms, cap 30 s, Math.random. */
export type BackoffOptions = { baseMs?: number; capMs?: number; random?: () => number };

/** Delay before reconnect attempt number `attempt` (0-based). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 500;
  const cap = options.capMs ?? 30_000;
  const random = options.random ?? Math.random;
  const ceiling = Math.min(cap, base * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/**
 * Retries `attempt` until it succeeds, sleeping {@link backoffDelay} between failures. `reset()` after a connection
 * that stayed up restarts the exponent; `stop()` cancels a pending retry.
 */
export function createRetrier(options: BackoffOptions & { timers?: Timers; attempt: () => void }) {
  const timers = options.timers ?? realTimers;
  let failures = 0;
  let pending: unknown = null;
  let stopped = false;
  return {
    /** Schedules the next attempt after a failure; returns the chosen delay. */
    failed(): number {
      if (stopped) return -1;
      if (pending !== null) timers.clearTimeout(pending);
      const delay = backoffDelay(failures++, options);
      pending = timers.setTimeout(() => {
        pending = null;
        if (!stopped) options.attempt();
      }, delay);
      return delay;
    },
    reset(): void {
      failures = 0;
    },
    get failures(): number {
      return failures;
    },
    stop(): void {
      stopped = true;
      if (pending !== null) timers.clearTimeout(pending);
      pending = null;
    },
  };
}

/**
 * Pause after the control plane refused records (`busy`) for the `refusals`-th time in a row (1-based): never shorter
 * than its `retryAfterMs`, doubled per refusal in a row, with jitter (up to twice the step, so agents refused at the
 * same moment come back spread out), capped (default 30 s).
 */
export function refusalDelay(refusals: number, retryAfterMs: number, options: BackoffOptions = {}): number {
  const cap = options.capMs ?? 30_000;
  const random = options.random ?? Math.random;
  const step = Math.min(
    cap,
    Math.max(retryAfterMs, options.baseMs ?? 500) * 2 ** Math.min(Math.max(0, refusals - 1), 20),
  );
  return Math.floor(Math.min(cap, step * (1 + random())));
}
