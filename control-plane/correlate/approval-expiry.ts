/**
 * Stale approval requests expire: a request nobody decided within `ttlMs` (config `approvals.expireAfter`, default
 * 24 h) is marked `expired` (decided by `system:expiry`), audited as `approval.expired`, and the agent that asked is
 * told with a denial naming the expiry (its guard then stops asking until the condition clears and comes back). A
 * breaker request just expires: its hold ends on its own (breaker.hold).
 */
import type { FleetContext } from '../fleet/context.ts';

/** Default expiry of a pending approval request. */
export const DEFAULT_APPROVAL_TTL_MS = 24 * 3_600_000;

const hours = (ms: number) => (ms % 3_600_000 === 0 ? `${ms / 3_600_000} h` : `${Math.round(ms / 60_000)} min`);

/** Creates the expiry; `tick()` expires every request older than `ttlMs` and returns their ids. */
export function createApprovalExpiry(ctx: FleetContext, ttlMs: number = DEFAULT_APPROVAL_TTL_MS) {
  return {
    ttlMs,
    async tick(): Promise<string[]> {
      const now = ctx.now();
      const stale = await ctx.repos.approvals.pendingBefore(new Date(now - ttlMs));
      const expired: string[] = [];
      const reason = `expired: no decision within ${hours(ttlMs)}`;
      for (const a of stale) {
        if (!(await ctx.repos.approvals.expire(a.id, { by: 'system:expiry', at: new Date(now), reason }))) continue;
        expired.push(a.id);
        if (a.source === 'policy' && a.hostId) {
          try {
            await ctx.publish(a.hostId, {
              v: 1,
              type: 'approval',
              requestId: a.requestId,
              approved: false,
              by: 'system:expiry',
              reason,
            });
          } catch (err) {
            ctx.log.warn({ err, approval: a.id }, 'telling the agent of an expired approval failed');
          }
        }
        await ctx.audit.record({
          actor: 'system:expiry',
          actorType: 'system',
          action: 'approval.expired',
          target: a.requestId,
          detail: {
            approval: a.id,
            source: a.source,
            host: a.hostId,
            group: a.groupKey ? `${a.groupKey}=${a.groupValue}` : null,
            action: a.action,
            policy: a.policy,
            requestedAt: a.requestedAt.toISOString(),
          },
        });
      }
      return expired;
    },
  };
}
export type ApprovalExpiry = ReturnType<typeof createApprovalExpiry>;
