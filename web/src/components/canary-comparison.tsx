/**
 * A model rollout's canary versus baseline figures over the soak so far (since its wave was sent): the anomaly score
 * (mean and p95 of the samples), the gate's per-host alert and error rates, and inference latency.
 */
import { useQuery } from '@tanstack/react-query';
import { api } from '../api/api.ts';
import type { RolloutComparison } from '../../../contract/api/rollouts.ts';
import { ErrorBox, Time } from './common.tsx';
import { TableWrap } from './table-wrap.tsx';

type Group = RolloutComparison['treated'];

const round2 = (v: number) => String(Math.round(v * 100) / 100);
const perHost = (v: number | null | undefined, hosts: number) =>
  v === null || v === undefined || !hosts ? '—' : round2(v / hosts);
const score = (g: Group, key: 'mean' | 'p95') => (g.anomalyScore ? g.anomalyScore[key].toFixed(3) : '—');

export function CanaryComparison({ id }: { id: string }) {
  const q = useQuery({
    queryKey: ['rollouts', id, 'comparison'],
    queryFn: () => api.rolloutComparison(id),
    refetchInterval: 5_000,
  });
  const d = q.data;
  if (q.error) return <ErrorBox error={q.error} title="Cannot compare canary and baseline" />;
  if (!d) return null;
  const rows: [string, (g: Group) => string][] = [
    ['Hosts', (g) => String(g.hosts)],
    ['Anomaly score, mean', (g) => score(g, 'mean')],
    ['Anomaly score, p95', (g) => score(g, 'p95')],
    ['Scored samples', (g) => String(g.anomalyScore?.samples ?? 0)],
    ['Anomaly alerts per host', (g) => perHost(g.anomalies, g.hosts)],
    ['Errors per host', (g) => perHost(g.errors, g.hosts)],
    ['Inference errors per host', (g) => perHost(g.inferenceErrors, g.hosts)],
    ['Inference latency p95 (ms)', (g) => (g.latencyP95Ms == null ? '—' : g.latencyP95Ms.toFixed(2))],
  ];
  return (
    <TableWrap label="Canary versus baseline">
      <table className="comparison" data-testid="canary-comparison">
        <caption>
          Canary (hosts on the new version) versus baseline (the rest of the target), over the soak
          {d.since !== null && (
            <>
              {' '}
              since <Time ts={d.since} />
            </>
          )}
          ; the health gate judges alerts, errors and latency
        </caption>
        <thead>
          <tr>
            <th scope="col">Figure</th>
            <th scope="col">Canary</th>
            <th scope="col">Baseline</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([name, value]) => (
            <tr key={name} data-figure={name}>
              <th scope="row">{name}</th>
              <td>{value(d.treated)}</td>
              <td>{value(d.baseline)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}
