/**
 * Login throttling against password guessing. Login attempts are counted per username and per client address (an IPv6
 * address by its /64, which one client usually holds whole); once a key has used its free attempts within the window,
 * every further attempt on it is refused until a lockout ends, and the lockout doubles with each attempt after that
 * (base 30 s, cap 15 min). A user who mistypes a few times is not locked out; guessing a password at more than a few
 * attempts per quarter hour is impossible. An attempt counts as a failure from the moment it is let through (so a burst
 * of parallel logins cannot all pass the check while the first ones are still hashing) until it turns out otherwise:
 * a successful login clears the username's count and gives the address its attempt back. Pure apart from the injected
 * clock; memory is bounded (the stalest unlocked keys are forgotten first, so a spray of new keys cannot push a
 * lockout out).
 *
 * The address is the TCP peer's: behind a reverse proxy every client shares the proxy's, and 20 failed attempts lock
 * the address out for everyone (docs/configuration.md).
 *
 * Defaults: 5 free attempts per username, 20 per address (users behind one NAT share it), window 15 min.
 */
import { isIPv6 } from 'node:net';
import { TooManyAttemptsError } from '../../contract/errors.ts';

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

/** The key an address is counted under: IPv4 as is (also IPv4-mapped IPv6), IPv6 by its /64. */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head, tail] = address.toLowerCase().split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups =
    tail === undefined ? left : [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/** Creates a throttle; see the file comment. */
export function createLoginThrottle(o: LoginThrottleOptions = {}) {
  const now = o.now ?? Date.now;
  const windowMs = o.windowMs ?? 15 * 60_000;
  const baseLockMs = o.baseLockMs ?? 30_000;
  const capLockMs = o.capLockMs ?? 15 * 60_000;
  const maxKeys = o.maxKeys ?? 10_000;
  const entries = new Map<string, Entry>();
  const userKey = (username: string) => `user:${username.toLowerCase()}`;
  const keysOf = (username: string, address: string | null): [string, number][] => {
    const keys: [string, number][] = [[userKey(username), o.freePerUser ?? 5]];
    if (address) keys.push([`address:${addressKey(address)}`, o.freePerAddress ?? 20]);
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
  const evict = (t: number): void => {
    if (entries.size <= maxKeys) return;
    for (const [key, e] of entries) {
      if (e.lockedUntil <= t) {
        entries.delete(key);
        return;
      }
    }
    entries.delete(entries.keys().next().value!); // every key locked: the stalest goes, memory stays bounded
  };
  /** Takes one attempt back from `key` (an attempt that did not fail); a count under its free attempts unlocks. */
  const giveBack = (key: string, free: number): void => {
    const e = entries.get(key);
    if (!e) return;
    e.failures = Math.max(0, e.failures - 1);
    if (e.failures < free) e.lockedUntil = 0;
  };

  const count = (keys: [string, number][], t: number): void => {
    for (const [key, free] of keys) {
      const e = live(key, t) ?? { failures: 0, firstAt: t, lockedUntil: 0 };
      e.failures++;
      if (e.failures >= free) e.lockedUntil = t + Math.min(capLockMs, baseLockMs * 2 ** (e.failures - free));
      entries.delete(key);
      entries.set(key, e); // most recent last, so eviction takes the stalest
      evict(t);
    }
  };

  return {
    /**
     * Lets an attempt through, counted as a failure until `succeed` or `abandon` says otherwise, or refuses it while
     * the username or the address is locked out. @throws TooManyAttemptsError
     */
    attempt(username: string, address: string | null): void {
      const t = now();
      const keys = keysOf(username, address);
      for (const [key] of keys) {
        const e = live(key, t);
        if (e && e.lockedUntil > t)
          throw new TooManyAttemptsError(
            key.startsWith('user:') ? 'username' : 'address',
            Math.ceil((e.lockedUntil - t) / 1000),
          );
      }
      count(keys, t);
    },
    /** Counts an attempt another replica let through (no lockout check: it already passed one there). */
    record(username: string, address: string | null): void {
      count(keysOf(username, address), now());
    },
    /** The attempt logged in: the username starts afresh, the address gets its attempt back. */
    succeed(username: string, address: string | null): void {
      const [, addr] = keysOf(username, address);
      entries.delete(userKey(username));
      if (addr) giveBack(addr[0], addr[1]);
    },
    /** The attempt ended without an answer on the password (an internal error): both keys get it back. */
    abandon(username: string, address: string | null): void {
      for (const [key, free] of keysOf(username, address)) giveBack(key, free);
    },
    /** Keys currently remembered (for tests and metrics). */
    size: () => entries.size,
  };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
