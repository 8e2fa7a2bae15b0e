/**
 * Login throttling against password guessing. Failed logins are counted per username and per client address; once a
 * key has used its free attempts within the window, every further attempt on it is refused until a lockout ends, and
 * the lockout doubles with each failure after that (base 30 s, cap 15 min). A user who mistypes a few times is not
 * locked out; guessing a password at more than a few attempts per quarter hour is impossible. A successful login
 * clears the username's count. Pure apart from the injected clock; memory is bounded (oldest keys evicted).
 *
 * Defaults: 5 free attempts per username, 20 per address (users behind one NAT share it), window 15 min.
 */
import { TooManyAttemptsError } from '../errors.ts';

/** Options (defaults in the file comment). */
export interface LoginThrottleOptions {
  now?: () => number;
  freePerUser?: number;
  freePerAddress?: number;
  windowMs?: number;
  baseLockMs?: number;
  capLockMs?: number;
  /** Keys remembered at most (default 10,000); the oldest are forgotten first. */
  maxKeys?: number;
}

type Entry = { failures: number; firstAt: number; lockedUntil: number };

/** Creates a throttle; see the file comment. */
export function createLoginThrottle(o: LoginThrottleOptions = {}) {
  const now = o.now ?? Date.now;
  const windowMs = o.windowMs ?? 15 * 60_000;
  const baseLockMs = o.baseLockMs ?? 30_000;
  const capLockMs = o.capLockMs ?? 15 * 60_000;
  const maxKeys = o.maxKeys ?? 10_000;
  const entries = new Map<string, Entry>();
  const keysOf = (username: string, address: string | null): [string, number][] => {
    const keys: [string, number][] = [[`user:${username.toLowerCase()}`, o.freePerUser ?? 5]];
    if (address) keys.push([`address:${address}`, o.freePerAddress ?? 20]);
    return keys;
  };
  const live = (key: string, t: number): Entry | undefined => {
    const e = entries.get(key);
    if (e && e.lockedUntil <= t && t - e.firstAt > windowMs) {
      entries.delete(key);
      return undefined;
    }
    return e;
  };

  return {
    /** Refuses the attempt while the username or the address is locked out. @throws TooManyAttemptsError */
    check(username: string, address: string | null): void {
      const t = now();
      for (const [key] of keysOf(username, address)) {
        const e = live(key, t);
        if (e && e.lockedUntil > t) throw new TooManyAttemptsError(key.startsWith('user:') ? 'username' : 'address', Math.ceil((e.lockedUntil - t) / 1000));
      }
    },
    /** Counts a failed attempt; past the free attempts, (re)starts the lockout. */
    fail(username: string, address: string | null): void {
      const t = now();
      for (const [key, free] of keysOf(username, address)) {
        const e = live(key, t) ?? { failures: 0, firstAt: t, lockedUntil: 0 };
        e.failures++;
        if (e.failures >= free) e.lockedUntil = t + Math.min(capLockMs, baseLockMs * 2 ** (e.failures - free));
        entries.delete(key);
        entries.set(key, e); // most recent last, so eviction takes the stalest
        if (entries.size > maxKeys) entries.delete(entries.keys().next().value!);
      }
    },
    /** A successful login: the username starts afresh (the address keeps its count). */
    succeed(username: string): void {
      entries.delete(`user:${username.toLowerCase()}`);
    },
    /** Keys currently remembered (for tests and metrics). */
    size: () => entries.size,
  };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
