/**
 * Where a running rollout's current wave stands in time (web/src/soak-phase.ts): soaking with a countdown to the
 * health gate; once the soak is over and the gate still waits for hosts to acknowledge, how long before it halts; for
 * a rollback (no gate), how long the hosts have to acknowledge it.
 */
import type { Rollout } from '../api/types.ts';
import { soakPhase } from '../soak-phase.ts';
import { useNow } from './common.tsx';
import { Countdown } from './countdown.tsx';

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

export function SoakStatus({ rollout: r }: { rollout: Rollout }) {
  const phase = soakPhase(r, Math.max(useNow(), Date.now() - 1000));
  if (!phase) return null;
  if (phase.kind === 'rollback')
    return (
      <p data-testid="soak">
        Halts <Countdown to={phase.at} /> unless every host has acknowledged it by then.
      </p>
    );
  if (phase.kind === 'soaking')
    return (
      <p data-testid="soak">
        Wave {r.wave + 1} soaks {seconds(r.soakMs)}; the health gate judges it <Countdown to={phase.at} />.
      </p>
    );
  return (
    <p data-testid="soak">
      Wave {r.wave + 1} soaked {seconds(r.soakMs)}: the health gate judges it once its hosts have acknowledged the
      version, or halts the rollout <Countdown to={phase.at} /> if they have not.
    </p>
  );
}
