/**
 * The live version of each policy set for the policy list: the version its hosts run after the newest rollout that
 * settled. A completed rollout's version is live (a rollback counts once every host acknowledged it); a rolled-back
 * one left its hosts on the version it replaced (`previousVersion`); a halted one that was sent to every target (the
 * last wave, or a rollback some host never acknowledged) left them on its own version, while one halted earlier left
 * most hosts on what came before, so an older rollout decides. Cancelled (superseded) rollouts and those still
 * running do not decide; the newest running one is reported as rolling out. "No policy" (`<set>@0`) is none live.
 * Pure, from the rollouts newest first.
 */
import type { RolloutState } from './rollout.ts';

/** What the policy list shows beside a set's newest version. */
export interface PolicyLive {
  /** Version number the set's hosts run (see above), or null (never published, or no policy). */
  publishedVersion: number | null;
  /** Version number of a rollout still sending or soaking, or null. */
  rollingOutVersion: number | null;
}

type Settled = Pick<RolloutState, 'kind' | 'subject' | 'version' | 'status' | 'previousVersion' | 'wave' | 'waves'>;

const numberOf = (version: string | null): number | null => {
  if (version === null) return null;
  const n = Number(version.slice(version.lastIndexOf('@') + 1));
  return Number.isInteger(n) && n > 0 ? n : null;
};

/** The version a settled rollout left its hosts on; undefined when it does not decide (an older rollout does). */
function leftOn(r: Settled): string | null | undefined {
  switch (r.status) {
    case 'completed':
      return r.version;
    case 'rolled-back':
      return r.previousVersion;
    case 'halted':
      return r.waves.length > 0 && r.wave >= r.waves.length - 1 ? r.version : undefined;
    default:
      return undefined;
  }
}

/** A lookup by policy set over `rollouts` (newest first; other kinds are ignored). */
export function liveVersions(rollouts: readonly Settled[]): (policySet: string) => PolicyLive {
  return (policySet) => {
    const mine = rollouts.filter((r) => r.kind === 'policy' && r.subject === policySet);
    const running = mine.find((r) => r.status === 'pending' || r.status === 'soaking');
    let live: string | null = null;
    for (const r of mine) {
      const v = leftOn(r);
      if (v !== undefined) {
        live = v;
        break;
      }
    }
    return {
      publishedVersion: numberOf(live),
      rollingOutVersion: running ? numberOf(running.version) : null,
    };
  };
}
