/**
 * Approval decisions: listing requests and approving or denying one; a policy guard's request is answered to its
 * agent with an `approval` command, an approved blast-radius breaker trip resets the breaker and resumes its group.
 */
import { ConflictError, NotFoundError } from '../../contract/errors.ts';
import type { FleetContext } from '../fleet/context.ts';
import { hostAttributes } from '../fleet/context.ts';
import type { Breaker } from './breaker.ts';
import { pauseHosts } from './fleet-pause.ts';

/** Creates the approval part of the incident service. */
export function createApprovalService(ctx: FleetContext, breaker: Breaker) {
  const { approvals } = ctx.repos;
  return {
    async listApprovals(status?: string) {
      return approvals.list({ ...(status ? { status } : {}), limit: 500 });
    },
    /** Approves or denies; sends the `approval` command (policy guard) or resumes the paused group (breaker). */
    async decide(id: string, approved: boolean, by: string, reason?: string) {
      const a = await approvals.get(id);
      if (!a) throw new NotFoundError('approval', id);
      if (a.status !== 'pending') throw new ConflictError(`approval '${id}' is already ${a.status}`, 'decided');
      const now = ctx.now();
      if (!(await approvals.decide(id, { approved, by, at: new Date(now), reason: reason ?? null })))
        throw new ConflictError(`approval '${id}' was decided concurrently`, 'decided');
      if (a.source === 'policy' && a.hostId) {
        await ctx.publish(a.hostId, {
          v: 1,
          type: 'approval',
          requestId: a.requestId,
          approved,
          by,
          ...(reason ? { reason } : {}),
        });
      } else if (a.source === 'breaker' && a.groupKey && a.groupValue && approved) {
        breaker.reset(a.groupKey, a.groupValue, a.action);
        const hosts = (await ctx.hosts.list())
          .filter((h) => !h.revokedAt && hostAttributes(h)[a.groupKey!] === a.groupValue)
          .map((h) => h.id);
        await pauseHosts(ctx, hosts, [a.action], now, `approved by ${by}${reason ? `: ${reason}` : ''}`, `user:${by}`);
      }
      await ctx.audit.record({
        actor: `user:${by}`,
        actorType: 'user',
        action: approved ? 'approval.granted' : 'approval.denied',
        target: a.requestId,
        detail: {
          approval: id,
          source: a.source,
          host: a.hostId,
          group: a.groupKey ? `${a.groupKey}=${a.groupValue}` : null,
          action: a.action,
          reason: reason ?? null,
        },
      });
      return (await approvals.get(id))!;
    },
  };
}
