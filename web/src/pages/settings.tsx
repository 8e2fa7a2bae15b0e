/**
 * Settings (admin): outgoing webhooks. Add one (name, URL, which events), send it a test delivery (a real POST; its
 * status, latency or error are shown), rotate its signing secret, delete it. The
 * signing secret is shown once, when it is created or rotated, with a copy button; listings only say "signed".
 */
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, keys } from '../api/api.ts';
import { CopyButton } from '../components/copy-button.tsx';
import { Empty, ErrorBox, Loading, Time } from '../components/common.tsx';
import { WebhookTest } from '../components/webhook-test.tsx';
import { TableWrap } from '../components/table-wrap.tsx';

type Events = ('incident' | 'escalation')[];

export function SettingsPage() {
  const client = useQueryClient();
  const q = useQuery({ queryKey: keys.webhooks, queryFn: api.webhooks });
  const [secret, setSecret] = useState<{ name: string; secret: string } | null>(null);
  const refresh = () => client.invalidateQueries({ queryKey: keys.webhooks });
  const create = useMutation({
    mutationFn: (v: { name: string; url: string; events: Events }) => api.createWebhook(v.name, v.url, v.events),
    onSuccess: (w) => {
      setSecret({ name: w.name, secret: w.secret });
      void refresh();
    },
  });
  const rotate = useMutation({
    mutationFn: api.rotateWebhookSecret,
    onSuccess: (w) => {
      setSecret({ name: w.name, secret: w.secret });
      void refresh();
    },
  });
  const remove = useMutation({ mutationFn: api.deleteWebhook, onSuccess: () => void refresh() });

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const d = new FormData(form);
    const events = d.getAll('events').map(String) as Events;
    create.mutate(
      { name: String(d.get('name') ?? '').trim(), url: String(d.get('url') ?? '').trim(), events },
      { onSuccess: () => form.reset() },
    );
  };
  const rows = q.data ?? [];
  return (
    <>
      <h1>Settings</h1>
      <h2>Webhooks</h2>
      <p className="muted">
        The control plane POSTs incident and escalation events as JSON to each webhook, signed with HMAC-SHA256 of{' '}
        <code>timestamp.body</code> under the webhook's secret (headers <code>x-homeostat-timestamp</code> and{' '}
        <code>x-homeostat-signature</code>).
      </p>
      {secret && (
        <div className="callout" role="status" data-testid="webhook-secret">
          <p>
            Signing secret of <strong>{secret.name}</strong>. Copy it now: it is not shown again.
          </p>
          <p className="secret">
            <code>{secret.secret}</code> <CopyButton text={secret.secret} label="Copy secret" />
          </p>
        </div>
      )}
      <ErrorBox error={q.error} title="Cannot load webhooks" />
      <ErrorBox error={rotate.error ?? remove.error} title="Cannot change the webhook" />
      {q.isPending ? (
        <Loading what="webhooks" />
      ) : rows.length === 0 ? (
        <Empty>No webhooks: incidents are shown here only.</Empty>
      ) : (
        <TableWrap label="Webhooks">
          <table data-testid="webhooks">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">Signed</th>
                <th scope="col">Added</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((w) => (
                <tr key={w.id} data-id={w.id}>
                  <th scope="row">{w.name}</th>
                  <td>
                    <code>{w.url}</code>
                  </td>
                  <td>{w.events.length ? w.events.join(', ') : 'all'}</td>
                  <td>{w.signed ? 'yes' : 'no'}</td>
                  <td>
                    <Time ts={w.createdAt} /> by {w.createdBy}
                  </td>
                  <td className="actions">
                    <WebhookTest webhook={w} />
                    <button
                      type="button"
                      disabled={rotate.isPending}
                      aria-label={`Rotate the secret of ${w.name}`}
                      onClick={() => {
                        if (window.confirm(`Rotate the signing secret of ${w.name}? The old secret stops working now.`))
                          rotate.mutate(w.id);
                      }}
                    >
                      Rotate the secret
                    </button>
                    <button
                      type="button"
                      disabled={remove.isPending}
                      aria-label={`Delete webhook ${w.name}`}
                      onClick={() => {
                        if (window.confirm(`Delete webhook ${w.name}? It receives no more events.`))
                          remove.mutate(w.id);
                      }}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <form className="card form" onSubmit={submit} aria-label="New webhook">
        <h2>Add a webhook</h2>
        <label>
          Name
          <input name="name" required maxLength={64} placeholder="ops-chat" />
        </label>
        <label>
          URL
          <input name="url" type="url" required placeholder="https://hooks.example.com/homeostat" />
        </label>
        <fieldset className="segmented">
          <legend>Events (none checked = all)</legend>
          <label>
            <input type="checkbox" name="events" value="incident" /> incidents
          </label>
          <label>
            <input type="checkbox" name="events" value="escalation" /> escalations
          </label>
        </fieldset>
        <ErrorBox error={create.error} title="Cannot add the webhook" />
        <button type="submit" disabled={create.isPending}>
          Add webhook
        </button>
      </form>
    </>
  );
}
