/** Where a running rollout's current wave stands in time (the control plane's rule: rollout.ts, rollback-ack.ts). Pure. */
import type { Rollout } from '../../contract/api/rollouts.ts';

/**
 * `soaking`: the health gate judges the wave at `at`; `awaiting`: the soak is over and the gate waits for the wave's
 * hosts to acknowledge, halting at `at`; `rollback`: sent to every host at once, halted at `at` unless all acknowledged.
 * Null before the first wave is sent.
 */
export type SoakPhase = { kind: 'soaking' | 'awaiting' | 'rollback'; at: number } | null;

export function soakPhase(
  r: Pick<Rollout, 'waveStartedAt' | 'soakMs' | 'ackTimeoutMs' | 'rollback'>,
  now: number,
): SoakPhase {
  if (r.waveStartedAt === null) return null;
  if (r.rollback) return { kind: 'rollback', at: r.waveStartedAt + r.ackTimeoutMs };
  const gateAt = r.waveStartedAt + r.soakMs;
  return now < gateAt ? { kind: 'soaking', at: gateAt } : { kind: 'awaiting', at: gateAt + r.ackTimeoutMs };
}
