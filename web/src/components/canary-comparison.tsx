/** A model rollout's canary versus baseline figures since its wave was sent: what the health gate will judge. */
import { useQuery } from '@tanstack/react-query';
import { api } from '../api/api.ts';
import type { RolloutComparison } from '../../../contract/api/rollouts.ts';

type Group = RolloutComparison['treated'];
import { ErrorBox } from './common.tsx';

const fmt = (v: number | null | undefined, hosts: number) =>
  v === null || v === undefined ? '—' : hosts ? String(Math.round((v / hosts) * 100) / 100) : '—';

export function CanaryComparison({ id }: { id: string }) {
  const q = useQuery({
    queryKey: ['rollouts', id, 'comparison'],
    queryFn: () => api.rolloutComparison(id),
    refetchInterval: 10_000,
  });
  const d = q.data;
  if (q.error) return <ErrorBox error={q.error} title="Cannot compare canary and baseline" />;
  if (!d) return null;
  const rows: [string, (g: Group) => string][] = [
    ['Hosts', (g) => String(g.hosts)],
    ['Anomaly alerts per host', (g) => fmt(g.anomalies, g.hosts)],
    ['Errors per host', (g) => fmt(g.errors, g.hosts)],
    ['Inference errors per host', (g) => fmt(g.inferenceErrors, g.hosts)],
    ['Inference latency p95 (ms)', (g) => (g.latencyP95Ms == null ? '—' : g.latencyP95Ms.toFixed(2))],
  ];
  return (
    <table className="comparison" data-testid="canary-comparison">
      <caption>New version versus the rest, since the wave was sent</caption>
      <thead>
        <tr>
          <th scope="col">Figure</th>
          <th scope="col">New version</th>
          <th scope="col">Baseline</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([name, value]) => (
          <tr key={name}>
            <th scope="row">{name}</th>
            <td>{value(d.treated)}</td>
            <td>{value(d.baseline)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
