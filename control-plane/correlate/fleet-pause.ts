/**
 * Pausing (or resuming) remediation actions on a set of hosts: one `pause` command per host and one audit entry. Used
 * by maintenance windows (silence-service.ts), the blast-radius breaker (event-intake.ts) and its approval
 * (approval-service.ts).
 */
import type { FleetContext } from '../fleet/context.ts';

/** Sends `pause` for `actions` until `until` (null: until lifted; in the past: resumes) to `hosts`; audited. */
export async function pauseHosts(
  ctx: FleetContext,
  hosts: string[],
  actions: string[],
  until: number | null,
  reason: string,
  actor: string,
): Promise<void> {
  for (const h of hosts) {
    try {
      await ctx.publish(h, { v: 1, type: 'pause', actions, until, reason });
    } catch (err) {
      ctx.log.warn({ err, host: h }, 'pause publish failed');
    }
  }
  await ctx.audit.record({
    actor,
    actorType: 'system',
    action: until !== null && until <= ctx.now() ? 'fleet.resumed' : 'fleet.paused',
    target: null,
    detail: { hosts: hosts.length, actions, until, reason },
  });
}
