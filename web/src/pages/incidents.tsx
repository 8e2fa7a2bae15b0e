/**
 * Incidents: the list (open first; filter by status and severity, search by hostname/title/cause, sortable columns,
 * bulk acknowledge/resolve, an assignee filter) and one incident's hosts (each linked to its charts at the incident's
 * time), timeline, root-cause hint, assignee and actions. Host ids read as hostnames everywhere.
 */
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, keys } from '../api/api.ts';
import type { Incident, IncidentStatus } from '../api/types.ts';
import { Empty, ErrorBox, Loading, Time } from '../components/common.tsx';
import { Link } from '../router.tsx';
import { ReadOnlyNote, useCan, useSession } from '../session.tsx';
import { useHostNames } from '../components/host-names.tsx';
import { hostChartLink } from '../components/host-link.ts';
import { TableWrap } from '../components/table-wrap.tsx';

const ORDER: Record<IncidentStatus, number> = { open: 0, acknowledged: 1, resolved: 2, merged: 3 };

/** The status shown: an open incident someone acknowledged reads "acknowledged". */
function statusOf(i: Incident): IncidentStatus {
  return i.status === 'open' && i.acknowledged ? 'acknowledged' : i.status;
}

type SortKey = 'status' | 'severity' | 'hosts' | 'opened' | 'updated';
const SEVERITY: Record<string, number> = { critical: 0, warning: 1, info: 2 };
const SORTS: Record<SortKey, (a: Incident, b: Incident) => number> = {
  status: (a, b) => ORDER[statusOf(a)] - ORDER[statusOf(b)],
  severity: (a, b) => (SEVERITY[a.severity] ?? 9) - (SEVERITY[b.severity] ?? 9),
  hosts: (a, b) => b.hosts.length - a.hosts.length,
  opened: (a, b) => b.openedAt - a.openedAt,
  updated: (a, b) => b.lastEventAt - a.lastEventAt,
};
/** Keys whose first click lists the highest value first (most hosts, newest): their values run descending. */
const HIGH_FIRST: ReadonlySet<SortKey> = new Set<SortKey>(['hosts', 'opened', 'updated']);

/** Up to three hostnames (sorted), then "and N more". */
function hostList(ids: readonly string[], name: (id: string) => string): string {
  const names = ids.map(name).sort();
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
}

export function IncidentsPage() {
  const client = useQueryClient();
  const canAct = useCan('operator');
  const hosts = useHostNames();
  const q = useQuery({ queryKey: keys.incidents, queryFn: api.incidents, refetchInterval: 15_000 });
  const [show, setShow] = useState<'active' | 'all' | 'resolved'>('active');
  const [severity, setSeverity] = useState('');
  const [text, setText] = useState('');
  const [assignee, setAssignee] = useState('');
  const me = useSession()?.username ?? '';
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'status', desc: false });
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const bulk = useMutation({
    mutationFn: async ({ action, ids }: { action: 'ack' | 'resolve'; ids: string[] }) => {
      const results = await Promise.allSettled(ids.map((id) => api.incidentAction(id, action)));
      const failed = results.filter((r) => r.status === 'rejected').length;
      if (failed) throw new Error(`${failed} of ${ids.length} incidents could not be updated; the others were.`);
      return ids.length;
    },
    onSettled: () => {
      setSelected(new Set());
      void client.invalidateQueries({ queryKey: keys.incidents });
    },
  });
  const needle = text.trim().toLowerCase();
  const matches = (i: Incident) =>
    !needle ||
    [hosts.humanize(i.title), i.rootCause.hint, i.id, i.assignee?.name ?? '', ...i.hosts.map(hosts.name), ...i.hosts]
      .join(' ')
      .toLowerCase()
      .includes(needle);
  const list = (q.data ?? [])
    .filter((i) => (show === 'all' ? true : show === 'active' ? i.status === 'open' : i.status !== 'open'))
    .filter((i) => !severity || i.severity === severity)
    .filter((i) =>
      !assignee ? true : assignee === 'nobody' ? !i.assignee : i.assignee?.name === (assignee === 'me' ? me : assignee),
    )
    .filter(matches)
    .sort((a, b) => (sort.desc ? -1 : 1) * SORTS[sort.key](a, b) || b.openedAt - a.openedAt);
  const shownIds = list.map((i) => i.id);
  const chosen = shownIds.filter((id) => selected.has(id));
  const allChosen = shownIds.length > 0 && chosen.length === shownIds.length;
  const toggle = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  // what the values do down the column (aria-sort, and the arrow as on the fleet page: ▲ ascending, ▼ descending)
  const descending = (key: SortKey) => sort.desc !== HIGH_FIRST.has(key);
  const header = (key: SortKey, label: string) => (
    <th scope="col" aria-sort={sort.key === key ? (descending(key) ? 'descending' : 'ascending') : undefined}>
      <button
        type="button"
        className="link sort"
        onClick={() => setSort((s) => ({ key, desc: s.key === key ? !s.desc : false }))}
      >
        {label}
        <span aria-hidden="true">{sort.key === key ? (descending(key) ? ' ▼' : ' ▲') : ''}</span>
      </button>
    </th>
  );
  return (
    <>
      <h1>Incidents</h1>
      <div className="filters">
        <label>
          Show
          <select value={show} onChange={(e) => setShow(e.target.value as typeof show)}>
            <option value="active">Open and acknowledged</option>
            <option value="resolved">Resolved and merged</option>
            <option value="all">All</option>
          </select>
        </label>
        <label>
          Severity
          <select value={severity} onChange={(e) => setSeverity(e.target.value)}>
            <option value="">Any</option>
            <option value="critical">critical</option>
            <option value="warning">warning</option>
            <option value="info">info</option>
          </select>
        </label>
        <label>
          Assignee
          <select value={assignee} onChange={(e) => setAssignee(e.target.value)}>
            <option value="">Anyone or nobody</option>
            <option value="me">Assigned to me</option>
            <option value="nobody">Unassigned</option>
            {[...new Set((q.data ?? []).flatMap((i) => (i.assignee ? [i.assignee.name] : [])))].sort().map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <label>
          Search
          <input
            type="search"
            value={text}
            onChange={(e) => setText(e.target.value)}
            placeholder="hostname, title, cause"
          />
        </label>
      </div>
      {canAct && list.length > 0 && (
        <div className="actions" role="group" aria-label="Bulk actions">
          <span className="muted" data-testid="selected-count">
            {chosen.length} selected
          </span>
          <button
            type="button"
            disabled={!chosen.length || bulk.isPending}
            onClick={() => bulk.mutate({ action: 'ack', ids: chosen })}
          >
            Acknowledge selected
          </button>
          <button
            type="button"
            disabled={!chosen.length || bulk.isPending}
            onClick={() => {
              if (window.confirm(`Resolve ${chosen.length} incident(s)?`))
                bulk.mutate({ action: 'resolve', ids: chosen });
            }}
          >
            Resolve selected
          </button>
        </div>
      )}
      <ErrorBox error={bulk.error} title="Bulk action" />
      <ErrorBox error={q.error} title="Cannot load incidents" />
      {q.isPending ? (
        <Loading what="incidents" />
      ) : list.length === 0 ? (
        <Empty>
          {(q.data ?? []).length ? 'No incidents match these filters.' : 'No incidents. The fleet is quiet.'}
        </Empty>
      ) : (
        <TableWrap label="Incidents">
          <table className="incidents">
            <thead>
              <tr>
                {canAct && (
                  <th scope="col">
                    <input
                      type="checkbox"
                      aria-label="Select all shown incidents"
                      checked={allChosen}
                      onChange={() => setSelected(allChosen ? new Set() : new Set(shownIds))}
                    />
                  </th>
                )}
                <th scope="col">Incident</th>
                {header('status', 'Status')}
                {header('severity', 'Severity')}
                {header('hosts', 'Hosts')}
                <th scope="col">Assignee</th>
                <th scope="col">Likely cause</th>
                {header('opened', 'Opened')}
                {header('updated', 'Last event')}
              </tr>
            </thead>
            <tbody>
              {list.map((i) => (
                <tr key={i.id} data-incident={i.id}>
                  {canAct && (
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`Select ${hosts.humanize(i.title)}`}
                        checked={selected.has(i.id)}
                        onChange={() => toggle(i.id)}
                      />
                    </td>
                  )}
                  <th scope="row">
                    <Link to={`/incidents/${encodeURIComponent(i.id)}`}>{hosts.humanize(i.title)}</Link>
                  </th>
                  <td>
                    <span className={`status status-${statusOf(i)}`}>{statusOf(i)}</span>
                  </td>
                  <td>{i.severity}</td>
                  <td title={i.hosts.map(hosts.name).sort().join(', ')}>
                    {i.hosts.length === 1
                      ? hosts.name(i.hosts[0]!)
                      : `${i.hosts.length}: ${hostList(i.hosts, hosts.name)}`}
                  </td>
                  <td data-testid="assignee">{i.assignee?.name ?? <span className="muted">nobody</span>}</td>
                  <td>{hosts.humanize(i.rootCause.hint)}</td>
                  <td>
                    <Time ts={i.openedAt} />
                  </td>
                  <td>
                    <Time ts={i.lastEventAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </>
  );
}

export function IncidentPage({ id }: { id: string }) {
  const client = useQueryClient();
  const canAct = useCan('operator');
  const hosts = useHostNames();
  const q = useQuery({ queryKey: keys.incident(id), queryFn: () => api.incident(id), refetchInterval: 15_000 });
  const [note, setNote] = useState('');
  const me = useSession()?.username ?? '';
  const [who, setWho] = useState('');
  const assign = useMutation({
    mutationFn: (name: string | null) => api.assignIncident(id, name),
    onSuccess: () => {
      setWho('');
      void client.invalidateQueries({ queryKey: keys.incidents });
      void client.invalidateQueries({ queryKey: keys.incident(id) });
    },
  });
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
      <h1>{hosts.humanize(i.title)}</h1>
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
        {i.resolution && (
          <div>
            <dt>Resolved</dt>
            <dd data-testid="resolution">
              {i.resolution.reason === 'manual'
                ? `by hand${i.resolution.by ? ` by ${i.resolution.by}` : ''}`
                : i.resolution.reason === 'cleared'
                  ? 'automatically: every alert it held cleared'
                  : 'automatically: no new signal for the quiet period'}{' '}
              <Time ts={i.resolution.at} />
            </dd>
          </div>
        )}
        <div>
          <dt>Assignee</dt>
          <dd data-testid="incident-assignee">{i.assignee?.name ?? <span className="muted">nobody</span>}</dd>
        </div>
      </dl>
      {canAct && (
        <form
          className="row"
          aria-label="Assignee"
          onSubmit={(e) => {
            e.preventDefault();
            if (who.trim()) assign.mutate(who.trim());
          }}
        >
          <label>
            Assign to
            <input value={who} onChange={(e) => setWho(e.target.value)} placeholder="username" maxLength={64} />
          </label>
          <button type="submit" disabled={assign.isPending || !who.trim()}>
            Assign
          </button>
          {me && i.assignee?.name !== me && (
            <button type="button" disabled={assign.isPending} onClick={() => assign.mutate(me)}>
              Assign to me
            </button>
          )}
          {i.assignee && (
            <button type="button" disabled={assign.isPending} onClick={() => assign.mutate(null)}>
              Clear assignee
            </button>
          )}
        </form>
      )}
      <ErrorBox error={assign.error} />
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
            <strong>{hosts.humanize(i.rootCause.hint)}</strong>
            <span className="muted"> (confidence {(i.rootCause.confidence * 100).toFixed(0)}%)</span>
          </p>
          <p>{hosts.humanize(i.rootCause.explanation)}</p>
        </div>
      </section>
      <div className="two-col">
        <section aria-labelledby="ihosts-title">
          <h2 id="ihosts-title">Affected hosts</h2>
          <ul className="host-list">
            {i.hosts.map((h) => (
              <li key={h}>
                <Link to={`/hosts/${encodeURIComponent(h)}`}>{hosts.name(h)}</Link>{' '}
                <Link
                  to={hostChartLink(h, i.firstEventAt ?? i.openedAt)}
                  className="muted"
                  aria-label={`Charts of ${hosts.name(h)} at the incident's time`}
                >
                  (charts at the incident's time)
                </Link>
              </li>
            ))}
          </ul>
        </section>
        <section aria-labelledby="tl-title">
          <h2 id="tl-title">Timeline</h2>
          {/* biome-ignore lint/a11y/noNoninteractiveTabindex: it scrolls (max-height), so a keyboard must be able to focus it to scroll it (WCAG 2.1.1; axe scrollable-region-focusable) */}
          <ol className="timeline" tabIndex={0} aria-labelledby="tl-title">
            {i.timeline.map((t, n) => (
              <li key={n}>
                <Time ts={t.at} /> <strong>{t.kind}</strong> {hosts.humanize(t.text)}
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
