/**
 * The fleet-wide audit log: who did what to which target, newest first, searched by free text (every term, in any
 * field including the detail) and filtered by actor, action, target and time range (the filters live in the address,
 * so a search can be shared), exported as CSV or JSON lines (admin).
 */
import type { FormEvent } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { api, keys, type AuditFilter } from '../api/api.ts';
import type { Session } from '../api/types.ts';
import { Empty, ErrorBox, Loading, Time } from '../components/common.tsx';
import { navigate, useLocation } from '../router.tsx';
import { TableWrap } from '../components/table-wrap.tsx';

const LIMIT = 500;

/** `datetime-local` value (local time) → epoch ms; '' → undefined. */
function fromLocal(v: string | null): number | undefined {
  if (!v) return undefined;
  const t = new Date(v).getTime();
  return Number.isFinite(t) ? t : undefined;
}

/** The filter in the address (`?q=&actor=&action=&target=&since=&until=`, times as datetime-local strings). */
function filterOf(search: URLSearchParams): AuditFilter & { sinceText: string; untilText: string } {
  const f: AuditFilter & { sinceText: string; untilText: string } = {
    sinceText: search.get('since') ?? '',
    untilText: search.get('until') ?? '',
  };
  for (const k of ['q', 'actor', 'action', 'target'] as const) {
    const v = search.get(k);
    if (v) f[k] = v;
  }
  const since = fromLocal(f.sinceText);
  const until = fromLocal(f.untilText);
  if (since !== undefined) f.since = since;
  if (until !== undefined) f.until = until;
  return f;
}

/** Saves a downloaded blob under `name` through a temporary link. */
function save(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function AuditPage({ session }: { session: Session }) {
  const { search } = useLocation();
  const filter = filterOf(search);
  const { sinceText, untilText, ...query } = filter;
  const q = useQuery({ queryKey: keys.auditSearch(query), queryFn: () => api.auditSearch(query, LIMIT) });
  const exporting = useMutation({
    mutationFn: (format: 'csv' | 'jsonl') => api.auditExport(query, format),
    onSuccess: ({ name, blob }) => save(name, blob),
  });

  const apply = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const params = new URLSearchParams();
    for (const k of ['q', 'actor', 'action', 'target', 'since', 'until']) {
      const v = String(data.get(k) ?? '').trim();
      if (v) params.set(k, v);
    }
    const qs = params.toString();
    navigate(`/audit${qs ? `?${qs}` : ''}`);
  };
  const rows = q.data ?? [];
  const key = search.toString();
  return (
    <>
      <h1>Audit log</h1>
      <p className="muted">Every sign-in, change and decision across the fleet, newest first.</p>
      <form className="filters" onSubmit={apply} aria-label="Audit filters" key={key}>
        <Field name="q" label="Search" value={query.q} placeholder="hostname, reason, any word…" />
        <Field name="actor" label="Actor" value={query.actor} placeholder="user:alice" />
        <Field name="action" label="Action" value={query.action} placeholder="policy.published" />
        <Field name="target" label="Target" value={query.target} placeholder="host id, policy…" />
        <label>
          From
          <input type="datetime-local" name="since" defaultValue={sinceText} />
        </label>
        <label>
          To
          <input type="datetime-local" name="until" defaultValue={untilText} />
        </label>
        <button type="submit">Search</button>
        {key && (
          <button type="button" className="link" onClick={() => navigate('/audit')}>
            Clear filters
          </button>
        )}
      </form>
      {session.role === 'admin' ? (
        <p className="actions">
          <button type="button" disabled={exporting.isPending} onClick={() => exporting.mutate('csv')}>
            Export CSV
          </button>{' '}
          <button type="button" disabled={exporting.isPending} onClick={() => exporting.mutate('jsonl')}>
            Export JSON
          </button>{' '}
          <span className="muted">(the entries matching these filters, up to 100 000)</span>
        </p>
      ) : (
        <p className="muted" data-testid="read-only">
          Exporting the audit log needs the admin role.
        </p>
      )}
      <ErrorBox error={exporting.error} title="Export failed" />
      <ErrorBox error={q.error} title="Cannot search the audit log" />
      {q.isPending ? (
        <Loading what="the audit log" />
      ) : rows.length === 0 ? (
        <Empty>No audit entries match these filters.</Empty>
      ) : (
        <>
          <p className="muted" role="status" data-testid="audit-count">
            {rows.length === LIMIT ? `The newest ${LIMIT} entries` : `${rows.length} entries`}
          </p>
          <TableWrap label="Audit log entries">
            <table>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Action</th>
                  <th scope="col">Target</th>
                  <th scope="col">Detail</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((e) => (
                  <tr key={e.id} data-action={e.action}>
                    <td>
                      <Time ts={e.at} />
                    </td>
                    <td>{e.actor}</td>
                    <td>
                      <code>{e.action}</code>
                    </td>
                    <td>{e.target ?? '—'}</td>
                    <td className="detail">
                      {Object.keys(e.detail).length ? <code>{JSON.stringify(e.detail)}</code> : ''}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        </>
      )}
    </>
  );
}

function Field({
  name,
  label,
  value,
  placeholder,
}: {
  name: string;
  label: string;
  value?: string;
  placeholder: string;
}) {
  return (
    <label>
      {label}
      <input name={name} defaultValue={value ?? ''} placeholder={placeholder} />
    </label>
  );
}
