/** Incidents: the list (open first) and one incident's hosts, timeline, root-cause hint, related rollouts and actions. */
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, keys } from '../api/api.ts';
import type { Incident, IncidentStatus } from '../api/types.ts';
import { Empty, ErrorBox, Loading, Time } from '../components/common.tsx';
import { Link } from '../router.tsx';
import { ReadOnlyNote, useCan } from '../session.tsx';

const ORDER: Record<IncidentStatus, number> = { open: 0, acknowledged: 1, resolved: 2, merged: 3 };

/** The status shown: an open incident someone acknowledged reads "acknowledged". */
function statusOf(i: Incident): IncidentStatus {
  return i.status === 'open' && i.acknowledged ? 'acknowledged' : i.status;
}

export function IncidentsPage() {
  const q = useQuery({ queryKey: keys.incidents, queryFn: api.incidents, refetchInterval: 15_000 });
  const [show, setShow] = useState<'active' | 'all'>('active');
  const active = (i: Incident) => i.status === 'open';
  const list = (q.data ?? [])
    .filter((i) => show === 'all' || active(i))
    .sort((a, b) => ORDER[statusOf(a)] - ORDER[statusOf(b)] || b.openedAt - a.openedAt);
  return (
    <>
      <h1>Incidents</h1>
      <fieldset className="segmented">
        <legend className="sr-only">Show</legend>
        <label>
          <input type="radio" name="show" checked={show === 'active'} onChange={() => setShow('active')} /> Open and
          acknowledged
        </label>
        <label>
          <input type="radio" name="show" checked={show === 'all'} onChange={() => setShow('all')} /> All
        </label>
      </fieldset>
      <ErrorBox error={q.error} title="Cannot load incidents" />
      {q.isPending ? (
        <Loading what="incidents" />
      ) : list.length === 0 ? (
        <Empty>No incidents. The fleet is quiet.</Empty>
      ) : (
        <table className="incidents">
          <thead>
            <tr>
              <th scope="col">Incident</th>
              <th scope="col">Status</th>
              <th scope="col">Severity</th>
              <th scope="col">Hosts</th>
              <th scope="col">Likely cause</th>
              <th scope="col">Opened</th>
            </tr>
          </thead>
          <tbody>
            {list.map((i) => (
              <tr key={i.id} data-incident={i.id}>
                <th scope="row">
                  <Link to={`/incidents/${encodeURIComponent(i.id)}`}>{i.title}</Link>
                </th>
                <td>
                  <span className={`status status-${statusOf(i)}`}>{statusOf(i)}</span>
                </td>
                <td>{i.severity}</td>
                <td>{i.hosts.length}</td>
                <td>{i.rootCause.hint}</td>
                <td>
                  <Time ts={i.openedAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

export function IncidentPage({ id }: { id: string }) {
  const client = useQueryClient();
  const canAct = useCan('operator');
  const q = useQuery({ queryKey: keys.incident(id), queryFn: () => api.incident(id), refetchInterval: 15_000 });
  const [note, setNote] = useState('');
  const act = useMutation({
    mutationFn: ({ action, text }: { action: 'ack' | 'annotate' | 'resolve'; text?: string }) =>
      api.incidentAction(id, action, text),
    onSuccess: (_d, v) => {
      if (v.action === 'annotate') setNote('');
      void client.invalidateQueries({ queryKey: keys.incidents });
      void client.invalidateQueries({ queryKey: keys.incident(id) });
    },
  });
  if (q.isPending) return <Loading what={`incident ${id}`} />;
  if (q.error) return <ErrorBox error={q.error} title={`Cannot load incident ${id}`} />;
  const i = q.data;
  const status = statusOf(i);
  const annotate = (e: FormEvent) => {
    e.preventDefault();
    if (note.trim()) act.mutate({ action: 'annotate', text: note.trim() });
  };
  return (
    <>
      <p className="crumbs">
        <Link to="/incidents">Incidents</Link> / {i.id}
      </p>
      <h1>{i.title}</h1>
      <dl className="stats">
        <div>
          <dt>Status</dt>
          <dd>
            <span className={`status status-${status}`}>{status}</span>
          </dd>
        </div>
        <div>
          <dt>Severity</dt>
          <dd>{i.severity}</dd>
        </div>
        <div>
          <dt>Opened</dt>
          <dd>
            <Time ts={i.openedAt} />
          </dd>
        </div>
        <div>
          <dt>Hosts</dt>
          <dd>{i.hosts.length}</dd>
        </div>
      </dl>
      {!canAct && <ReadOnlyNote needs="operator" what="acknowledging, annotating and resolving incidents" />}
      {canAct && (
        <div className="actions">
          <button
            type="button"
            onClick={() => act.mutate({ action: 'ack' })}
            disabled={act.isPending || status !== 'open'}
          >
            Acknowledge
          </button>
          <button
            type="button"
            onClick={() => act.mutate({ action: 'resolve' })}
            disabled={act.isPending || i.status !== 'open'}
          >
            Resolve
          </button>
        </div>
      )}
      <ErrorBox error={act.error} />
      <section aria-labelledby="cause-title">
        <h2 id="cause-title">Likely root cause</h2>
        <div className="callout">
          <p>
            <strong>{i.rootCause.hint}</strong>
            <span className="muted"> (confidence {(i.rootCause.confidence * 100).toFixed(0)}%)</span>
          </p>
          <p>{i.rootCause.explanation}</p>
        </div>
      </section>
      <div className="two-col">
        <section aria-labelledby="ihosts-title">
          <h2 id="ihosts-title">Affected hosts</h2>
          <ul className="host-list">
            {i.hosts.map((h) => (
              <li key={h}>
                <Link to={`/hosts/${encodeURIComponent(h)}`}>{h}</Link>
              </li>
            ))}
          </ul>
        </section>
        <section aria-labelledby="tl-title">
          <h2 id="tl-title">Timeline</h2>
          <ol className="timeline">
            {i.timeline.map((t, n) => (
              <li key={n}>
                <Time ts={t.at} /> <strong>{t.kind}</strong> {t.text}
                {t.by && <span className="muted"> — {t.by}</span>}
              </li>
            ))}
          </ol>
          {canAct && (
            <form onSubmit={annotate}>
              <label>
                Add a note
                <textarea
                  value={note}
                  onChange={(e) => setNote(e.target.value)}
                  rows={3}
                  placeholder="What you found or did"
                />
              </label>
              <button type="submit" disabled={act.isPending || !note.trim()}>
                Add note
              </button>
            </form>
          )}
        </section>
      </div>
    </>
  );
}
