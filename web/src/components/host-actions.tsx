/**
 * A host's actions: its cordon (everyone sees it; operators cordon and uncordon, host-cordon.tsx), and the admin's
 * re-label and revoke (after a confirmation naming the host and what revoking does). A revoked host shows since when;
 * it can no longer connect and must enroll again.
 */
import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, keys } from '../api/api.ts';
import type { Host } from '../api/types.ts';
import { useCan } from '../session.tsx';
import { ErrorBox, Time } from './common.tsx';
import { HostLabelsEdit } from './host-labels.tsx';
import { HostCordon } from './host-cordon.tsx';

export function HostActions({ host }: { host: Pick<Host, 'id' | 'hostname' | 'revokedAt' | 'labels' | 'cordon'> }) {
  const client = useQueryClient();
  const isAdmin = useCan('admin');
  const [confirming, setConfirming] = useState(false);
  const [labelling, setLabelling] = useState(false);
  const revoke = useMutation({
    mutationFn: () => api.revokeHost(host.id),
    onSuccess: (h) => {
      setConfirming(false);
      client.setQueryData(keys.host(host.id), h);
      void client.invalidateQueries({ queryKey: keys.hosts });
    },
  });
  if (host.revokedAt)
    return (
      <p className="error" role="status" data-testid="revoked">
        Revoked <Time ts={host.revokedAt} />: this host can no longer connect; it must enroll again.
      </p>
    );
  const cordon = <HostCordon host={host} />;
  if (!isAdmin) return cordon;
  return (
    <>
      {cordon}
      <section className="actions" aria-label="Host actions">
        {labelling ? (
          <HostLabelsEdit host={host} onDone={() => setLabelling(false)} />
        ) : (
          !confirming && (
            <button type="button" onClick={() => setLabelling(true)}>
              Edit labels…
            </button>
          )
        )}
        {labelling ? null : !confirming ? (
          <button type="button" onClick={() => setConfirming(true)}>
            Revoke host…
          </button>
        ) : (
          <div className="callout" role="alertdialog" aria-labelledby="revoke-q" aria-describedby="revoke-d">
            <p id="revoke-q">
              <strong>Revoke {host.hostname}?</strong>
            </p>
            <p id="revoke-d">
              Its credentials stop working at once: it is disconnected, cannot report or receive policies, and must be
              enrolled again with a new token. This cannot be undone.
            </p>
            <p className="actions">
              <button type="button" className="danger" disabled={revoke.isPending} onClick={() => revoke.mutate()}>
                Revoke {host.hostname}
              </button>
              <button type="button" onClick={() => setConfirming(false)} disabled={revoke.isPending}>
                Cancel
              </button>
            </p>
            <ErrorBox error={revoke.error} title="Cannot revoke" />
          </div>
        )}
      </section>
    </>
  );
}
