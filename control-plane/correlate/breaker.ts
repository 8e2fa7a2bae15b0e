/**
 * Blast-radius breaker: when more than `maxShare` of a group (hosts sharing a value of one of `groupKeys`, e.g. a rack)
 * want to run the same action within `windowMs`, the action is paused for that group and an approval is requested
 * instead. A tripped group stays held until {@link Breaker.reset} (approval) or `holdMs` passes.
 */
import type { HostAttributes, Population } from './population.ts';

/** Breaker options; defaults: maxShare 0.25, window 10 min, minHosts 3, groupKeys rack/switch/datacenter, hold 1 h. */
export interface BreakerOptions {
  population: Population & { hostsWith?(key: string, value: string): string[] };
  maxShare?: number;
  windowMs?: number;
  minHosts?: number;
  groupKeys?: string[];
  holdMs?: number;
}

/** Result of an observed action request. */
export type BreakerDecision =
  | { decision: 'allow' }
  | {
      decision: 'trip';
      group: { key: string; value: string };
      action: string;
      hosts: number;
      groupSize: number;
      share: number;
      until: number;
    }
  | { decision: 'held'; group: { key: string; value: string }; action: string; until: number };

/** The breaker. */
export interface Breaker {
  /** Records that `hostId` wants to run `action` at `now`. */
  observe(hostId: string, action: string, attrs: HostAttributes, now: number): BreakerDecision;
  /** Clears a trip (approved) so the action may run again in that group. */
  reset(key: string, value: string, action: string): boolean;
  tripped(now: number): { key: string; value: string; action: string; until: number }[];
}

/** Creates a breaker. */
export function createBreaker(options: BreakerOptions): Breaker {
  const maxShare = options.maxShare ?? 0.25;
  const windowMs = options.windowMs ?? 600_000;
  const minHosts = options.minHosts ?? 3;
  const groupKeys = options.groupKeys ?? ['rack', 'switch', 'datacenter'];
  const holdMs = options.holdMs ?? 3_600_000;
  const seen = new Map<string, Map<string, number>>(); // group|action -> host -> last ts
  const trips = new Map<string, { key: string; value: string; action: string; until: number }>();
  const id = (k: string, v: string, a: string) => `${k}\0${v}\0${a}`;
  return {
    observe(hostId, action, attrs, now) {
      for (const key of groupKeys) {
        const value = attrs[key];
        if (value === undefined) continue;
        const gid = id(key, value, action);
        const trip = trips.get(gid);
        if (trip && trip.until > now) return { decision: 'held', group: { key, value }, action, until: trip.until };
        if (trip) trips.delete(gid);
      }
      let result: BreakerDecision = { decision: 'allow' };
      for (const key of groupKeys) {
        const value = attrs[key];
        if (value === undefined) continue;
        const gid = id(key, value, action);
        const hosts = seen.get(gid) ?? seen.set(gid, new Map()).get(gid)!;
        hosts.set(hostId, now);
        for (const [h, t] of hosts) if (t <= now - windowMs) hosts.delete(h);
        const groupSize = options.population.count(key, value);
        const share = groupSize > 0 ? hosts.size / groupSize : 0;
        if (result.decision === 'allow' && hosts.size >= minHosts && share > maxShare) {
          const until = now + holdMs;
          trips.set(gid, { key, value, action, until });
          hosts.clear();
          result = {
            decision: 'trip',
            group: { key, value },
            action,
            hosts: Math.round(share * groupSize),
            groupSize,
            share,
            until,
          };
        }
      }
      return result;
    },
    reset(key, value, action) {
      seen.get(id(key, value, action))?.clear();
      return trips.delete(id(key, value, action));
    },
    tripped(now) {
      return [...trips.values()].filter((t) => t.until > now);
    },
  };
}
