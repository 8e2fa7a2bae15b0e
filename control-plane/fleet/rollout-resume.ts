/**
 * After a halt: Resume goes on with the rollout (the current wave is sent again, to reach hosts that missed it, and
 * soaks afresh before the health gate judges it); Roll back sends the previous version (rollout-service `start` with
 * `immediate`). A policy set that was never live on the targets rolls back to "no policy": the version
 * `<set>@0`, an empty signed set. Pure.
 */
import { ConflictError } from '../../contract/errors.ts';
import type { RolloutAction, RolloutState } from './rollout.ts';
import { withoutCordoned } from './cordon-skip.ts';

/** The version label of "no policy" for a policy set: `<set>@0` (versions are numbered from 1). */
export const NO_POLICY_VERSION = (policySet: string): string => `${policySet}@0`;

/** Whether a version label is the "no policy" version. */
export const isNoPolicy = (version: string): boolean => version.endsWith('@0');

/** Resumes a halted rollout (the resend skips `cordoned` hosts); ConflictError when it is not halted. */
export function resumeRollout(
  s0: RolloutState,
  now: number,
  actor: string,
  cordoned: ReadonlySet<string> = new Set(),
): { state: RolloutState; actions: RolloutAction[] } {
  if (s0.status !== 'halted') throw new ConflictError(`rollout '${s0.id}' is ${s0.status}, not halted`, 'not-halted');
  const s: RolloutState = { ...s0, history: [...s0.history, { at: now, event: 'resumed', detail: `by ${actor}` }] };
  if (s.wave < 0) return { state: { ...s, status: 'pending', waveStartedAt: null }, actions: [] };
  const hosts = withoutCordoned(s, s.waves[s.wave] ?? [], cordoned, now, `wave ${s.wave} again`);
  s.history.push({ at: now, event: `wave ${s.wave} sent`, detail: `${hosts.length} host(s), again after resume` });
  return {
    state: { ...s, status: 'soaking', waveStartedAt: now },
    actions: [{ type: 'send', wave: s.wave, hosts, version: s.version }],
  };
}
