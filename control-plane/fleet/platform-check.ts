/**
 * Agent rollouts: a selector that matches hosts of a platform the version has no artifact for is refused (409
 * `wrong-platform`), naming them and saying what to do instead. Pure.
 */
import { ConflictError } from '../../contract/errors.ts';
import type { HostRecord } from '../store/ports.ts';

/** Throws when `hosts` include a platform outside `have` (the platforms `version` is built for; undefined: any). */
export function refuseOtherPlatforms(
  have: readonly string[] | undefined,
  version: string,
  selector: string,
  hosts: readonly HostRecord[],
): void {
  if (!have) return;
  const want = have.join(', ');
  const other = hosts.filter((h) => h.agentPlatform && !have.includes(h.agentPlatform));
  if (!other.length) return;
  const counts = new Map<string, number>();
  for (const h of other) counts.set(h.agentPlatform!, (counts.get(h.agentPlatform!) ?? 0) + 1);
  const platforms = [...counts].map(([p, n]) => `${n} on ${p}`).join(', ');
  const names = other
    .slice(0, 5)
    .map((h) => h.hostname)
    .join(', ');
  throw new ConflictError(
    `agent ${version} is built for ${want}, but the selector '${selector}' also matches ${other.length} host(s) of another platform (${platforms}: ${names}${other.length > 5 ? ', …' : ''}); add agent.platform=${have[0]} to the selector, or upload ${version} built for ${[...counts.keys()].join(', ')}`,
    'wrong-platform',
  );
}
