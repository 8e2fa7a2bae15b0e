/**
 * A host's cordon (docs/fleet.md "Cordoned hosts"): the Cordoned badge with who, why and since (everyone sees it), and
 * the operator's "Cordon…" (asks why first) and "Uncordon". A cordoned host keeps running and reporting; rollouts send
 * it no new wave until it is uncordoned.
 */
import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, keys } from '../api/api.ts';
import type { Host } from '../api/types.ts';
import { useCan } from '../session.tsx';
import { ErrorBox, Time } from './common.tsx';

type Cordon = NonNullable<Host['cordon']>;

/** Who set a cordon, in words. */
export const cordonedBy = (c: Pick<Cordon, 'by' | 'source'>): string =>
  c.source === 'agent' ? 'its agent (heal.cordon)' : c.by;

/** The Cordoned badge; its title (and `detail`) says who, why and since. */
export function CordonBadge({ cordon, detail = false }: { cordon: Host['cordon']; detail?: boolean }) {
  if (!cordon) return null;
  const title = `Cordoned by ${cordonedBy(cordon)} since ${new Date(cordon.at).toLocaleString()}: ${cordon.reason}`;
  return (
    <span className="cordon" data-testid="cordon">
      <span className="badge badge-cordoned" title={title}>
        Cordoned
      </span>
      {detail && (
        <span>
          {' '}
          by {cordonedBy(cordon)} <Time ts={cordon.at} />: {cordon.reason}
        </span>
      )}
    </span>
  );
}

/** The cordon state and, for operators, Cordon… / Uncordon. */
export function HostCordon({ host }: { host: Pick<Host, 'id' | 'hostname' | 'cordon'> }) {
  const client = useQueryClient();
  const canAct = useCan('operator');
  const [asking, setAsking] = useState(false);
  const [reason, setReason] = useState('');
  const done = (h: Host) => {
    setAsking(false);
    setReason('');
    client.setQueryData(keys.host(host.id), h);
    void client.invalidateQueries({ queryKey: keys.hosts });
  };
  const cordon = useMutation({ mutationFn: (why: string) => api.cordonHost(host.id, why), onSuccess: done });
  const uncordon = useMutation({ mutationFn: () => api.uncordonHost(host.id), onSuccess: done });
  return (
    <section className="stack" aria-label="Cordon">
      {host.cordon && (
        <p role="status">
          <CordonBadge cordon={host.cordon} detail /> <span className="muted">No new rollout wave reaches it.</span>
        </p>
      )}
      {canAct && host.cordon && (
        <p className="actions">
          <button type="button" disabled={uncordon.isPending} onClick={() => uncordon.mutate()}>
            Uncordon
          </button>
        </p>
      )}
      {canAct && !host.cordon && !asking && (
        <p className="actions">
          <button type="button" onClick={() => setAsking(true)}>
            Cordon…
          </button>
        </p>
      )}
      {canAct && !host.cordon && asking && (
        <form
          className="callout stack"
          role="alertdialog"
          aria-labelledby="cordon-q"
          onSubmit={(e) => {
            e.preventDefault();
            if (reason.trim()) cordon.mutate(reason.trim());
          }}
        >
          <p id="cordon-q">
            <strong>Cordon {host.hostname}?</strong> It keeps running and reporting, but policy, model and agent
            rollouts send it no new wave until it is uncordoned. What it was already sent stays.
          </p>
          <label>
            Reason
            <input value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} />
          </label>
          <p className="actions">
            <button type="submit" className="primary" disabled={!reason.trim() || cordon.isPending}>
              Cordon {host.hostname}
            </button>
            <button type="button" onClick={() => setAsking(false)} disabled={cordon.isPending}>
              Cancel
            </button>
          </p>
        </form>
      )}
      <ErrorBox error={cordon.error ?? uncordon.error} title="Cannot change the cordon" />
    </section>
  );
}
