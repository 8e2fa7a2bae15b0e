/**
 * The live version of each policy set for the policy list: the version of its newest completed rollout (a rollback
 * counts once every host acknowledged it; a rollback to "no policy" leaves none live), and the version still rolling
 * out, if any. Pure, from the rollouts newest first.
 */
import type { RolloutState } from './rollout.ts';

/** What the policy list shows beside a set's newest version. */
export interface PolicyLive {
  /** Version number live on the targets of the newest completed rollout, or null (never published, or no policy). */
  publishedVersion: number | null;
  /** Version number of a rollout still sending or soaking, or null. */
  rollingOutVersion: number | null;
}

const numberOf = (version: string): number | null => {
  const n = Number(version.slice(version.lastIndexOf('@') + 1));
  return Number.isInteger(n) && n > 0 ? n : null;
};

/** A lookup by policy set over `rollouts` (newest first; other kinds are ignored). */
export function liveVersions(
  rollouts: readonly Pick<RolloutState, 'kind' | 'subject' | 'version' | 'status'>[],
): (policySet: string) => PolicyLive {
  return (policySet) => {
    const mine = rollouts.filter((r) => r.kind === 'policy' && r.subject === policySet);
    const done = mine.find((r) => r.status === 'completed');
    const running = mine.find((r) => r.status === 'pending' || r.status === 'soaking');
    return {
      publishedVersion: done ? numberOf(done.version) : null,
      rollingOutVersion: running ? numberOf(running.version) : null,
    };
  };
}
