/**
 * What runs where: the models the hosts report they run (name and version, from each host's applied state), with the
 * number of hosts per version and whether that version is in the registry. Bundled models the agents ship with show
 * here even when nothing was ever uploaded.
 */
import { useQuery } from '@tanstack/react-query';
import { api, keys } from '../api/api.ts';
import type { Host, Model } from '../api/types.ts';
import { Empty, ErrorBox, Loading } from './common.tsx';
import { TableWrap } from './table-wrap.tsx';

/** One (model, version) and the hosts running it. */
export type Deployed = { name: string; version: string; hosts: number; online: number };

/** Counts hosts per reported model version, by name then most hosts first. */
export function deployedModels(hosts: readonly Pick<Host, 'appliedModels' | 'online' | 'revokedAt'>[]): Deployed[] {
  const by = new Map<string, Deployed>();
  for (const h of hosts) {
    if (h.revokedAt) continue;
    for (const [name, version] of Object.entries(h.appliedModels ?? {})) {
      const key = `${name}@${version}`;
      const d = by.get(key) ?? { name, version, hosts: 0, online: 0 };
      d.hosts++;
      if (h.online) d.online++;
      by.set(key, d);
    }
  }
  return [...by.values()].sort((a, b) => a.name.localeCompare(b.name) || b.hosts - a.hosts);
}

export function DeployedModels({ registry }: { registry: readonly Model[] }) {
  const hosts = useQuery({ queryKey: keys.hosts, queryFn: api.hosts, refetchInterval: 15_000 });
  const rows = deployedModels(hosts.data ?? []);
  const registered = new Set(registry.map((m) => `${m.name}@${m.version}`));
  return (
    <section aria-labelledby="deployed-title">
      <h2 id="deployed-title">Running on hosts</h2>
      <ErrorBox error={hosts.error} title="Cannot load hosts" />
      {hosts.isPending ? (
        <Loading what="hosts" />
      ) : rows.length === 0 ? (
        <Empty>No host has reported a model yet.</Empty>
      ) : (
        <TableWrap label="Models running on hosts">
          <table data-testid="deployed-models">
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">Version</th>
                <th scope="col">Hosts</th>
                <th scope="col">Source</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => (
                <tr key={`${d.name}@${d.version}`} data-model={`${d.name}@${d.version}`}>
                  <th scope="row">{d.name}</th>
                  <td>{d.version}</td>
                  <td>
                    {d.hosts} <span className="muted">({d.online} online)</span>
                  </td>
                  <td>{registered.has(`${d.name}@${d.version}`) ? 'registry' : 'bundled with the agent'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </section>
  );
}
