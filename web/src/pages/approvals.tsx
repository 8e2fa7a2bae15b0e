/**
 * Approvals: pending actions with their context (hostname, what and why, since when); approve or deny one with a
 * reason, or several at once (select them, or every pending request for one action or one policy). Each shows its
 * policy, condition and when it expires if nobody decides. Decided (and expired) ones below.
 */
import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, keys } from '../api/api.ts';
import type { Approval } from '../api/types.ts';
import { Empty, ErrorBox, Loading, Time } from '../components/common.tsx';
import { Link } from '../router.tsx';
import { ReadOnlyNote, useCan } from '../session.tsx';
import { useHostNames } from '../components/host-names.tsx';
import { ApprovalContext } from '../components/approval-context.tsx';
import { TableWrap } from '../components/table-wrap.tsx';

/** What an approval is about: one host (policy guard) or a label group (fleet breaker). */
function Target({ approval: a }: { approval: Approval }) {
  const hosts = useHostNames();
  if (a.hostId)
    return (
      <span>
        <Link to={`/hosts/${encodeURIComponent(a.hostId)}`}>{hosts.name(a.hostId)}</Link>{' '}
        <span className="muted id">({a.hostId})</span>
      </span>
    );
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
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
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
            <>
              <BulkDecision pending={pending} selected={selected} setSelected={setSelected} />
              {pending.map((a) => (
                <PendingCard
                  key={a.id}
                  approval={a}
                  selected={selected.has(a.id)}
                  onSelect={(on) =>
                    setSelected((s) => {
                      const next = new Set(s);
                      if (on) next.add(a.id);
                      else next.delete(a.id);
                      return next;
                    })
                  }
                />
              ))}
            </>
          )}
          <h2>Decided</h2>
          {decided.length === 0 ? (
            <Empty>No decisions yet.</Empty>
          ) : (
            <TableWrap label="Decided approvals">
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
            </TableWrap>
          )}
        </>
      )}
    </>
  );
}

/** Decides the selected pending approvals at once, with one reason; selects every request for one action. */
function BulkDecision({
  pending,
  selected,
  setSelected,
}: {
  pending: Approval[];
  selected: ReadonlySet<string>;
  setSelected: (s: ReadonlySet<string>) => void;
}) {
  const client = useQueryClient();
  const canDecide = useCan('operator');
  const [reason, setReason] = useState('');
  const chosen = pending.filter((a) => selected.has(a.id)).map((a) => a.id);
  const decide = useMutation({
    mutationFn: async (approved: boolean) => {
      const results = await Promise.allSettled(chosen.map((id) => api.decide(id, approved, reason.trim())));
      const failed = results.filter((r) => r.status === 'rejected').length;
      if (failed) throw new Error(`${failed} of ${chosen.length} decisions failed (already decided or expired?).`);
    },
    onSettled: () => {
      setSelected(new Set());
      setReason('');
      void client.invalidateQueries({ queryKey: keys.approvals });
    },
  });
  if (!canDecide || pending.length < 2) return null;
  const actions = [...new Set(pending.map((a) => a.action))];
  const policies = [...new Set(pending.flatMap((a) => (a.policy ? [a.policy] : [])))];
  return (
    <section className="card" aria-label="Decide several at once">
      <p className="actions">
        {actions.map((action) => {
          const ids = pending.filter((a) => a.action === action).map((a) => a.id);
          return (
            <button key={action} type="button" onClick={() => setSelected(new Set(ids))}>
              Select all {ids.length} {action}
            </button>
          );
        })}
        {policies.map((policy) => {
          const ids = pending.filter((a) => a.policy === policy).map((a) => a.id);
          return (
            <button key={`policy-${policy}`} type="button" onClick={() => setSelected(new Set(ids))}>
              Select all {ids.length} of policy {policy}
            </button>
          );
        })}
        <button type="button" className="link" onClick={() => setSelected(new Set())}>
          Clear selection
        </button>
      </p>
      <label>
        Reason for {chosen.length} selected (required)
        <textarea value={reason} onChange={(e) => setReason(e.target.value)} rows={2} />
      </label>
      <div className="actions">
        <button
          type="button"
          className="primary"
          disabled={!chosen.length || !reason.trim() || decide.isPending}
          onClick={() => decide.mutate(true)}
        >
          Approve {chosen.length} selected
        </button>
        <button
          type="button"
          className="danger"
          disabled={!chosen.length || !reason.trim() || decide.isPending}
          onClick={() => decide.mutate(false)}
        >
          Deny {chosen.length} selected
        </button>
      </div>
      <ErrorBox error={decide.error} />
    </section>
  );
}

function PendingCard({
  approval: a,
  selected,
  onSelect,
}: {
  approval: Approval;
  selected: boolean;
  onSelect: (on: boolean) => void;
}) {
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
        {canDecide && (
          <input
            type="checkbox"
            aria-label={`Select ${a.action} ${a.hostId ?? a.groupValue ?? a.id}`}
            checked={selected}
            onChange={(e) => onSelect(e.target.checked)}
          />
        )}{' '}
        <code>{a.action}</code> on <Target approval={a} />
      </h3>
      <p>
        {a.reason}{' '}
        <span className="muted">
          Requested <Time ts={a.requestedAt} /> by the {a.source === 'breaker' ? 'fleet breaker' : "agent's policy"}.
        </span>
      </p>
      <ApprovalContext approval={a} />
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
