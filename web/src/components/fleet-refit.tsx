/**
 * "Refit from fleet data" on the Models page (admin only): refits the anomaly model's fleet-level parameters from
 * the samples the control plane stored for the hosts a selector picks over a window, as a background job on the
 * control plane (`POST /api/model-refits`), shows its progress, and when done what it saw, how it did on the
 * held-back slice against the shipped parameters, the registered version and the canary rollout if one was asked for.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { call, client } from '../api/client.ts';
import { keys } from '../api/api.ts';
import type { RefitJob } from '../../../contract/api/refits.ts';
import { ErrorBox, Progress, Time } from './common.tsx';
import { ReadOnlyNote, useCan } from '../session.tsx';

const refitsKey = ['model-refits'] as const;
const c = client.api;
const pct = (v: number) => `${(v * 100).toFixed(2)} %`;

export function FleetRefit() {
  const canRefit = useCan('admin');
  return (
    <section aria-labelledby="refit-title">
      <h2 id="refit-title">Refit from fleet data</h2>
      {canRefit ? <RefitForm /> : <ReadOnlyNote needs="admin" what="refitting models" />}
    </section>
  );
}

function RefitForm() {
  const queryClient = useQueryClient();
  const [selector, setSelector] = useState('');
  const [since, setSince] = useState('7d');
  const [canary, setCanary] = useState('');
  const jobs = useQuery({
    queryKey: refitsKey,
    queryFn: async () => (await call(c['model-refits'].$get(), 'Loading refits')).jobs,
    refetchInterval: (q) => (q.state.data?.some((j) => j.status === 'running') ? 1000 : 15_000),
  });
  const start = useMutation({
    mutationFn: () =>
      call(
        c['model-refits'].$post({
          json: { kind: 'anomaly', selector, since, ...(canary.trim() ? { canary: canary.trim() } : {}) },
        }),
        'Starting the refit',
      ),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: refitsKey }),
  });
  const latest = jobs.data?.[0];
  const running = latest?.status === 'running';
  const submit = (e: FormEvent) => {
    e.preventDefault();
    start.mutate();
  };
  const registered = latest?.modelId;
  useEffect(() => {
    if (registered) void queryClient.invalidateQueries({ queryKey: keys.models });
  }, [registered, queryClient]);
  return (
    <>
      <p className="muted">
        Refits the anomaly model's fleet-level parameters (principal components, score scale) on the samples stored for
        these hosts; the last 20 % of the window is held back to measure the new version, which is registered and, with
        canary hosts, rolled out to them first.
      </p>
      <form onSubmit={submit} className="row" aria-label="Refit from fleet data">
        <label>
          Hosts (label selector, empty = all)
          <input value={selector} onChange={(e) => setSelector(e.target.value)} placeholder="e.g. role=db" />
        </label>
        <label>
          Window
          <select value={since} onChange={(e) => setSince(e.target.value)}>
            {['24h', '3d', '7d', '14d', '30d'].map((w) => (
              <option key={w} value={w}>
                last {w}
              </option>
            ))}
          </select>
        </label>
        <label>
          Canary hosts (label selector, empty = register only)
          <input value={canary} onChange={(e) => setCanary(e.target.value)} placeholder="e.g. rack=r1" />
        </label>
        <button type="submit" className="primary" disabled={start.isPending || running}>
          Refit
        </button>
      </form>
      <ErrorBox error={start.error} />
      <ErrorBox error={jobs.error} title="Cannot load refits" />
      {latest && <RefitStatus job={latest} />}
    </>
  );
}

function RefitStatus({ job }: { job: RefitJob }) {
  if (job.status === 'running')
    return (
      <div data-refit={job.id} data-status="running">
        <Progress value={job.progress.share} label={`Refitting (${job.progress.phase})`} />
        <span className="muted"> {job.progress.samplesRead} samples read</span>
      </div>
    );
  if (job.status === 'failed')
    return (
      <div className="error" role="alert" data-refit={job.id} data-status="failed">
        <strong>Refit failed: </strong>
        {job.error}
      </div>
    );
  const s = job.summary!;
  return (
    <div className="card" role="status" data-refit={job.id} data-status="succeeded">
      <p>
        Registered <strong>{job.modelId}</strong>
        {job.rolloutId && (
          <>
            {' '}
            and started canary rollout {job.rolloutId} to '{job.canary}'
          </>
        )}{' '}
        · <Time ts={job.finishedAt} />
      </p>
      <ul>
        <li>
          Saw {s.samples} samples from {s.hosts} host(s) ({s.features} features), <Time ts={s.from} /> to{' '}
          <Time ts={s.to} />; fitted in {(s.fitMs / 1000).toFixed(1)} s.
        </li>
        <li>
          Components {s.components}, score scale z0 {s.z0}.
        </li>
        <li>
          Held back {s.holdoutSamples} samples: alert rate {pct(s.holdout.alertRate)},{' '}
          {s.holdout.falseEpisodesPerHostDay.toFixed(2)} alert episodes per host-day (shipped parameters:{' '}
          {pct(s.baseHoldout.alertRate)}, {s.baseHoldout.falseEpisodesPerHostDay.toFixed(2)}).
        </li>
      </ul>
    </div>
  );
}
