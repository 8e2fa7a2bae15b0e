/** notify: nothing changes on the host; the healer emits a `heal.notify` event carrying the message upstream. */
import type { ActionSpec } from '../../../contract/policy/schema.ts';
import type { ActionResult } from './context.ts';
import { done } from './context.ts';

type Notify = Extract<ActionSpec, { type: 'notify' }>;

export function notify(spec: Notify): ActionResult {
  return done(spec.message, { event: { type: 'heal.notify', severity: spec.severity, message: spec.message } });
}
