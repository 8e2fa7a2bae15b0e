/** cordon: asks the control plane (and through it a scheduler) to drain this host, via a `heal.cordon` event. */
import type { ActionSpec } from '../../../contract/policy/schema.ts';
import type { ActionResult } from './context.ts';
import { done } from './context.ts';

type Cordon = Extract<ActionSpec, { type: 'cordon' }>;

export function cordon(spec: Cordon): ActionResult {
  return done(`cordon requested: ${spec.reason}`, {
    event: { type: 'heal.cordon', severity: 'critical', message: `drain this host: ${spec.reason}` },
  });
}
