/**
 * Rollouts and cordoned hosts (docs/fleet.md "Cordoned hosts"). A cordoned host is sent no rollout command: a new
 * rollout leaves it out when it plans its waves, a running one drops it from a wave that is due (and from a resend or a
 * rollback), and each time the rollout's `skippedCordoned` and history say so. What a host was sent before its cordon
 * stays (nothing is recalled). Uncordoned, it is picked again by the waves sent after that. Pure.
 */
import type { RolloutState } from './rollout.ts';

/** How many host names a history entry lists before "…". */
const NAMED = 10;

/** The ids of the cordoned hosts among `hosts`. */
export function cordonedIds(hosts: Iterable<{ id: string; cordon: unknown }>): Set<string> {
  const ids = new Set<string>();
  for (const h of hosts) if (h.cordon) ids.add(h.id);
  return ids;
}

/** `n host(s): a, b, …` for a history entry. */
export function namedHosts(ids: readonly string[]): string {
  return `${ids.length} host(s): ${ids.slice(0, NAMED).join(', ')}${ids.length > NAMED ? ', …' : ''}`;
}

/**
 * `hosts` without the cordoned ones; those are added to `s.skippedCordoned` and named in its history as `what`.
 * Mutates `s` (the state machine's working copy: `history` must already be a copy).
 */
export function withoutCordoned(
  s: RolloutState,
  hosts: readonly string[],
  cordoned: ReadonlySet<string>,
  now: number,
  what: string,
): string[] {
  const skipped = hosts.filter((h) => cordoned.has(h));
  if (!skipped.length) return [...hosts];
  s.skippedCordoned = [...new Set([...(s.skippedCordoned ?? []), ...skipped])];
  s.history.push({ at: now, event: `cordoned host(s) skipped: ${what}`, detail: namedHosts(skipped) });
  return hosts.filter((h) => !cordoned.has(h));
}

/** Drops the cordoned hosts of wave `wave` from it (they are not sent that wave); returns the hosts left. */
export function dropCordonedFromWave(
  s: RolloutState,
  wave: number,
  cordoned: ReadonlySet<string>,
  now: number,
): string[] {
  const rest = withoutCordoned(s, s.waves[wave] ?? [], cordoned, now, `wave ${wave}`);
  if (rest.length !== (s.waves[wave] ?? []).length) s.waves = s.waves.map((w, i) => (i === wave ? rest : w));
  return rest;
}
