/**
 * Silences (incidents on matching hosts are not notified) and maintenance windows (the same, and the listed healing
 * actions pause): create with a label selector, a schedule (once, weekly or cron, in UTC) and a reason; list with
 * whether each is in effect now; delete. Operators and admins change them; viewers read.
 */
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, keys, type NewSilence } from '../api/api.ts';
import { Empty, ErrorBox, Loading } from '../components/common.tsx';
import { Link } from '../router.tsx';
import { ReadOnlyNote, useCan } from '../session.tsx';
import { TableWrap } from '../components/table-wrap.tsx';

type Kind = 'silence' | 'maintenance';
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const WORDS: Record<Kind, { title: string; one: string; lead: string }> = {
  silence: {
    title: 'Silences',
    one: 'silence',
    lead: 'While a silence is in effect, incidents on the hosts it selects raise no notification.',
  },
  maintenance: {
    title: 'Maintenance windows',
    one: 'maintenance window',
    lead: 'During a maintenance window, incidents are not notified and the listed healing actions pause.',
  },
};

/** A schedule in words (UTC). */
export function describeSchedule(s: Record<string, unknown> & { type: string }): string {
  const fmt = (ms: unknown) => (typeof ms === 'number' ? new Date(ms).toLocaleString() : '?');
  if (s.type === 'once') return `once, ${fmt(s.startsAt)} → ${fmt(s.endsAt)}`;
  const until = typeof s.until === 'number' ? `, until ${fmt(s.until)}` : '';
  if (s.type === 'weekly') {
    const days = Array.isArray(s.days) ? s.days.map((d) => DAYS[Number(d)] ?? d).join(', ') : '?';
    return `weekly on ${days} at ${String(s.start)} UTC for ${String(s.durationMinutes)} min${until}`;
  }
  return `cron “${String(s.expr)}” (UTC) for ${String(s.durationMinutes)} min${until}`;
}

export function SilencesPage({ kind }: { kind: Kind }) {
  const client = useQueryClient();
  const canEdit = useCan('operator');
  const q = useQuery({ queryKey: keys.silences, queryFn: api.silences, refetchInterval: 5_000 });
  const remove = useMutation({
    mutationFn: api.deleteSilence,
    onSuccess: () => client.invalidateQueries({ queryKey: keys.silences }),
  });
  const words = WORDS[kind];
  const rows = (q.data ?? []).filter((s) => s.kind === kind);
  return (
    <>
      <h1>{words.title}</h1>
      <nav className="tabs" aria-label="Silences and maintenance">
        <Link to="/silences" aria-current={kind === 'silence' ? 'page' : undefined}>
          Silences
        </Link>
        <Link to="/maintenance" aria-current={kind === 'maintenance' ? 'page' : undefined}>
          Maintenance windows
        </Link>
      </nav>
      <p className="muted">{words.lead}</p>
      <ErrorBox error={q.error} title={`Cannot load ${words.title.toLowerCase()}`} />
      <ErrorBox error={remove.error} title="Cannot delete" />
      {q.isPending ? (
        <Loading what={words.title.toLowerCase()} />
      ) : rows.length === 0 ? (
        <Empty>No {words.one}s.</Empty>
      ) : (
        <TableWrap label={words.title}>
          <table data-testid="silences">
            <thead>
              <tr>
                <th scope="col">Hosts</th>
                <th scope="col">When</th>
                <th scope="col">Now</th>
                {kind === 'maintenance' && <th scope="col">Paused actions</th>}
                <th scope="col">Reason</th>
                <th scope="col">By</th>
                {canEdit && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {rows.map((s) => (
                <tr key={s.id} data-id={s.id}>
                  <td>{s.selector ? <code>{s.selector}</code> : 'all hosts'}</td>
                  <td>{describeSchedule(s.schedule)}</td>
                  <td>
                    <span className={`status status-${s.active ? 'active' : 'idle'}`}>
                      {s.active ? 'in effect' : 'not in effect'}
                    </span>
                  </td>
                  {kind === 'maintenance' && <td>{s.pauseActions.join(', ') || 'none'}</td>}
                  <td>{s.reason}</td>
                  <td>{s.createdBy}</td>
                  {canEdit && (
                    <td>
                      <button
                        type="button"
                        disabled={remove.isPending}
                        aria-label={`Delete ${words.one} ${s.reason}`}
                        onClick={() => {
                          if (window.confirm(`Delete the ${words.one} “${s.reason}”?`)) remove.mutate(s.id);
                        }}
                      >
                        Delete
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {canEdit ? <CreateForm kind={kind} /> : <ReadOnlyNote needs="operator" what={`creating a ${words.one}`} />}
    </>
  );
}

/** datetime-local (local time) → epoch ms. */
const localMs = (v: FormDataEntryValue | null) => new Date(String(v ?? '')).getTime();

function CreateForm({ kind }: { kind: Kind }) {
  const client = useQueryClient();
  const [type, setType] = useState<'once' | 'weekly' | 'cron'>('once');
  const [formError, setFormError] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: api.createSilence,
    onSuccess: () => client.invalidateQueries({ queryKey: keys.silences }),
  });
  const words = WORDS[kind];
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const d = new FormData(form);
    let schedule: Record<string, unknown>;
    if (type === 'once') {
      const startsAt = localMs(d.get('startsAt'));
      const endsAt = localMs(d.get('endsAt'));
      if (!Number.isFinite(startsAt) || !Number.isFinite(endsAt))
        return setFormError('Give both the start and the end.');
      schedule = { type, startsAt, endsAt };
    } else {
      const durationMinutes = Number(d.get('durationMinutes'));
      schedule =
        type === 'weekly'
          ? { type, days: d.getAll('days').map(Number), start: String(d.get('start')), durationMinutes }
          : { type, expr: String(d.get('expr')), durationMinutes };
    }
    setFormError(null);
    const pause = String(d.get('pauseActions') ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
    const body: NewSilence = {
      kind,
      selector: String(d.get('selector') ?? '').trim(),
      reason: String(d.get('reason') ?? '').trim(),
      schedule,
      ...(kind === 'maintenance' ? { pauseActions: pause } : {}),
    };
    create.mutate(body, { onSuccess: () => form.reset() });
  };
  return (
    <form className="card form" onSubmit={submit} aria-label={`New ${words.one}`}>
      <h2>New {words.one}</h2>
      <label>
        Hosts (label selector, empty = all)
        <input name="selector" placeholder="rack=r1,role=web" />
      </label>
      <label>
        Reason
        <input name="reason" required placeholder="planned kernel upgrade" />
      </label>
      <fieldset className="segmented">
        <legend>Schedule</legend>
        {(['once', 'weekly', 'cron'] as const).map((t) => (
          <label key={t}>
            <input type="radio" name="type" checked={type === t} onChange={() => setType(t)} /> {t}
          </label>
        ))}
      </fieldset>
      {type === 'once' && (
        <>
          <label>
            Starts
            <input type="datetime-local" name="startsAt" required />
          </label>
          <label>
            Ends
            <input type="datetime-local" name="endsAt" required />
          </label>
        </>
      )}
      {type === 'weekly' && (
        <>
          <fieldset className="segmented">
            <legend>Days (UTC)</legend>
            {DAYS.map((day, i) => (
              <label key={day}>
                <input type="checkbox" name="days" value={i} /> {day}
              </label>
            ))}
          </fieldset>
          <label>
            Starts at (HH:MM UTC)
            <input name="start" required pattern="([01]\d|2[0-3]):[0-5]\d" placeholder="02:00" />
          </label>
        </>
      )}
      {type === 'cron' && (
        <label>
          Cron (minute hour day month weekday, UTC)
          <input name="expr" required placeholder="0 2 * * 0" />
        </label>
      )}
      {type !== 'once' && (
        <label>
          Duration (minutes)
          <input name="durationMinutes" type="number" min={1} max={10080} required defaultValue={60} />
        </label>
      )}
      {kind === 'maintenance' && (
        <label>
          Healing actions to pause (comma-separated, empty = none)
          <input name="pauseActions" placeholder="restart-service, reboot" />
        </label>
      )}
      {formError && (
        <p className="error" role="alert">
          {formError}
        </p>
      )}
      <ErrorBox error={create.error} title={`Cannot create the ${words.one}`} />
      <button type="submit" disabled={create.isPending}>
        Create {words.one}
      </button>
    </form>
  );
}
