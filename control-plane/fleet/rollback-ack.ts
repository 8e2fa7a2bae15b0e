/**
 * A rollback (or roll forward) goes to every target host at once and has no health gate: it is complete only when
 * every host it was sent to acknowledges the version (reports it applied), not when the commands are sent. Hosts that
 * do not acknowledge within `ackTimeoutMs` halt it, named in its history. Pure; the shell (rollout-service.ts) says
 * which hosts still have not acknowledged.
 */
import { treatedHosts, type RolloutAction, type RolloutState } from './rollout.ts';

const NAMED = 10;

/** Advances a running rollback given the hosts that have not acknowledged it yet (revoked hosts excluded). */
export function stepRollbackAck(
  s0: RolloutState,
  now: number,
  unacknowledged: readonly string[],
): { state: RolloutState; actions: RolloutAction[] } {
  if (s0.status !== 'soaking' || s0.waveStartedAt === null) return { state: s0, actions: [] };
  const total = treatedHosts(s0).length;
  if (unacknowledged.length === 0) {
    const history = [...s0.history, { at: now, event: 'completed', detail: `acknowledged by all ${total} host(s)` }];
    return { state: { ...s0, status: 'completed', history }, actions: [{ type: 'completed' }] };
  }
  if (now - s0.waveStartedAt < s0.ackTimeoutMs) return { state: s0, actions: [] };
  const names = unacknowledged.slice(0, NAMED).join(', ') + (unacknowledged.length > NAMED ? ', …' : '');
  const reason = `${unacknowledged.length} of ${total} host(s) did not acknowledge ${s0.version} within ${Math.round(s0.ackTimeoutMs / 1000)} s: ${names}`;
  const history = [...s0.history, { at: now, event: 'halted', detail: reason }];
  return { state: { ...s0, status: 'halted', history }, actions: [{ type: 'halted', reasons: [reason] }] };
}
