/** restart-service: restarts a service through the ServiceManager port and reports its state afterwards. */
import type { ActionSpec } from '../../../contract/policy/schema.ts';
import type { ActionContext, ActionResult } from './context.ts';
import { done, failed } from './context.ts';

type RestartService = Extract<ActionSpec, { type: 'restart-service' }>;

export async function restartService(spec: RestartService, ctx: ActionContext): Promise<ActionResult> {
  try {
    await ctx.serviceManager.restart(spec.service);
    const s = await ctx.serviceManager.status(spec.service);
    return done(`restarted '${spec.service}' (${ctx.serviceManager.backend}); now ${s.state}`, {
      service: spec.service,
      state: s.state,
    });
  } catch (e) {
    return failed((e as Error).message, { service: spec.service });
  }
}
