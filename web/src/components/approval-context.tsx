/** What a policy guard's approval request is about: the policy, its condition as written, and when it expires. */
import type { Approval } from '../../../contract/api/incidents.ts';
import { Countdown } from './countdown.tsx';

export function ApprovalContext({ approval: a }: { approval: Approval }) {
  if (!a.policy && !a.condition && !a.expiresAt) return null;
  return (
    <dl className="approval-context" data-testid="approval-context">
      {a.policy && (
        <>
          <dt>Policy</dt>
          <dd>
            <code>{a.policy}</code>
          </dd>
        </>
      )}
      {a.condition && (
        <>
          <dt>Condition</dt>
          <dd>
            <code>{a.condition}</code>
          </dd>
        </>
      )}
      {a.expiresAt && (
        <>
          <dt>Expires</dt>
          <dd>
            <Countdown to={a.expiresAt} /> unless decided
          </dd>
        </>
      )}
    </dl>
  );
}
