/**
 * Agent versions (control-plane/fleet/agent-versions.ts): the signed agent artifacts this control plane serves, how
 * many hosts run each, and (admins) rolling one out to a label selector in waves. Each host installs it beside the
 * running version and switches back by itself when the new one does not prove healthy in time; that halts the
 * rollout, whose card offers the one-click rollback. Upload: `POST /api/agent-versions` (docs/agent-install.md).
 */
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, keys } from '../api/api.ts';
import { useCan } from '../session.tsx';
import { Empty, ErrorBox, Loading } from './common.tsx';
import { AgentUpload } from './agent-upload.tsx';
import { agentRolloutSelector } from '../agent-rollout-selector.ts';
import { Rollouts } from './rollouts.tsx';
import { TableWrap } from './table-wrap.tsx';

export function AgentVersions() {
  const client = useQueryClient();
  const isAdmin = useCan('admin');
  const list = useQuery({ queryKey: keys.agentVersions, queryFn: api.agentVersions, refetchInterval: 10_000 });
  const [target, setTarget] = useState<string | null>(null);
  const [selector, setSelector] = useState('');
  const [percents, setPercents] = useState('10,50,100');
  const publish = useMutation({
    mutationFn: (v: string) =>
      api.publishAgentVersion(
        v,
        selector,
        percents
          .split(',')
          .map((p) => Number(p.trim()))
          .filter((n) => Number.isFinite(n) && n > 0),
      ),
    onSuccess: () => setTarget(null),
    onSettled: () => void client.invalidateQueries({ queryKey: keys.rollouts }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (target) publish.mutate(target);
  };
  const versions = list.data?.versions ?? [];
  const platforms = Object.entries(list.data?.platforms ?? {});
  // Each host is sent its platform's artifact; narrowed only when the version lacks a platform the fleet runs.
  const openRollout = (version: string, platform: string) => {
    setTarget(version);
    setSelector(agentRolloutSelector(version, platform, versions, list.data?.platforms ?? {}));
  };
  return (
    <section aria-labelledby="agent-versions">
      <h2 id="agent-versions">Agent versions</h2>
      <ErrorBox error={list.error} title="Cannot load agent versions" />
      <ErrorBox error={publish.error} />
      {list.isPending ? (
        <Loading what="agent versions" />
      ) : versions.length === 0 ? (
        <Empty>No agent artifact yet (npm run package:agent, or built on the first download).</Empty>
      ) : (
        <TableWrap label="Agent versions">
          <table>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Platform</th>
                <th scope="col">Size</th>
                <th scope="col">sha256</th>
                <th scope="col">Hosts running it</th>
                <th
                  scope="col"
                  title="Hosts that keep it as their previous version: what a failed upgrade switches back to"
                >
                  Previous on
                </th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {versions.map((v) => (
                <tr key={v.file} data-agent-version={v.version}>
                  <td>{v.version}</td>
                  <td>{v.platform}</td>
                  <td>{(v.size / 1e6).toFixed(1)} MB</td>
                  <td>
                    <code title={v.sha256}>{v.sha256.slice(0, 12)}</code>
                  </td>
                  <td>{list.data?.running[v.version] ?? 0}</td>
                  <td>{list.data?.previous[v.version] ?? 0}</td>
                  <td>
                    {isAdmin && (
                      <button type="button" onClick={() => openRollout(v.version, v.platform)}>
                        Roll out…
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {platforms.length > 0 && (
        <p data-testid="agent-platforms">
          Hosts per platform: {platforms.map(([p, n]) => `${p} ${n}`).join(', ')}. A rollout sends each host its own
          platform's artifact of the version; a selector that matches hosts of a platform the version has no artifact
          for is refused: upload that build, or narrow it with <code>agent.platform=…</code>.
        </p>
      )}
      {isAdmin && target && (
        <form onSubmit={submit} aria-label={`Roll out agent ${target}`}>
          <p>
            Roll out agent <strong>{target}</strong> in waves. Each host installs it beside its current version and
            switches back by itself if the new one does not prove healthy in time.
          </p>
          <label>
            Label selector (empty: every host)
            <input value={selector} onChange={(e) => setSelector(e.target.value)} placeholder="ring=canary" />
          </label>
          <label>
            Waves (cumulative %)
            <input value={percents} onChange={(e) => setPercents(e.target.value)} />
          </label>
          <button type="submit" disabled={publish.isPending}>
            Start rollout
          </button>{' '}
          <button type="button" onClick={() => setTarget(null)}>
            Cancel
          </button>
        </form>
      )}
      {isAdmin && <AgentUpload />}
      <Rollouts kind="agent" subject="homeostat-agent" />
    </section>
  );
}
