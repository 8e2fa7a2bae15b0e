/** Approvals: pending actions with their context; approve or deny with a reason. Decided ones below. */
import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, keys } from '../api/api.ts';
import type { Approval } from '../api/types.ts';
import { Empty, ErrorBox, Loading, Time } from '../components/common.tsx';
import { Link } from '../router.tsx';
import { ReadOnlyNote, useCan } from '../session.tsx';

/** What an approval is about: one host (policy guard) or a label group (fleet breaker). */
function Target({ approval: a }: { approval: Approval }) {
  if (a.hostId) return <Link to={`/hosts/${encodeURIComponent(a.hostId)}`}>{a.hostId}</Link>;
  return (
    <span>
      hosts with{' '}
      <code>
        {a.groupKey}={a.groupValue}
      </code>
    </span>
  );
}

export function ApprovalsPage() {
  const q = useQuery({ queryKey: keys.approvals, queryFn: api.approvals, refetchInterval: 10_000 });
  const pending = (q.data ?? []).filter((a) => a.status === 'pending');
  const decided = (q.data ?? []).filter((a) => a.status !== 'pending').slice(0, 50);
  return (
    <>
      <h1>Approvals</h1>
      <ErrorBox error={q.error} title="Cannot load approvals" />
      {q.isPending ? (
        <Loading what="approvals" />
      ) : (
        <>
          <h2>Waiting for a decision ({pending.length})</h2>
          {pending.length === 0 ? (
            <Empty>Nothing is waiting for approval.</Empty>
          ) : (
            pending.map((a) => <PendingCard key={a.id} approval={a} />)
          )}
          <h2>Decided</h2>
          {decided.length === 0 ? (
            <Empty>No decisions yet.</Empty>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Action</th>
                  <th scope="col">Host</th>
                  <th scope="col">Decision</th>
                  <th scope="col">By</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Requested</th>
                </tr>
              </thead>
              <tbody>
                {decided.map((a) => (
                  <tr key={a.id}>
                    <th scope="row">{a.action}</th>
                    <td>
                      <Target approval={a} />
                    </td>
                    <td>
                      <span className={`status status-${a.status}`}>{a.status}</span>
                    </td>
                    <td>{a.decidedBy ?? '—'}</td>
                    <td>{a.decisionReason ?? ''}</td>
                    <td>
                      <Time ts={a.requestedAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </>
  );
}

function PendingCard({ approval: a }: { approval: Approval }) {
  const client = useQueryClient();
  const canDecide = useCan('operator');
  const [reason, setReason] = useState('');
  const decide = useMutation({
    mutationFn: (approved: boolean) => api.decide(a.id, approved, reason.trim()),
    onSuccess: () => void client.invalidateQueries({ queryKey: keys.approvals }),
    onError: () => void client.invalidateQueries({ queryKey: keys.approvals }),
  });
  const reasonId = `reason-${a.id}`;
  return (
    <article className="card" aria-labelledby={`ap-${a.id}`} data-approval={a.id}>
      <h3 id={`ap-${a.id}`}>
        <code>{a.action}</code> on <Target approval={a} />
      </h3>
      <p>
        {a.reason}{' '}
        <span className="muted">
          Requested <Time ts={a.requestedAt} /> by the {a.source === 'breaker' ? 'fleet breaker' : "agent's policy"}.
        </span>
      </p>
      {!canDecide ? (
        <ReadOnlyNote needs="operator" what="deciding approvals" />
      ) : (
        <>
          <label htmlFor={reasonId}>Reason for your decision (required)</label>
          <textarea id={reasonId} value={reason} onChange={(e) => setReason(e.target.value)} rows={2} />
          <div className="actions">
            <button
              type="button"
              className="primary"
              disabled={!reason.trim() || decide.isPending}
              onClick={() => decide.mutate(true)}
            >
              Approve
            </button>
            <button
              type="button"
              className="danger"
              disabled={!reason.trim() || decide.isPending}
              onClick={() => decide.mutate(false)}
            >
              Deny
            </button>
          </div>
          <ErrorBox error={decide.error} />
        </>
      )}
    </article>
  );
}
