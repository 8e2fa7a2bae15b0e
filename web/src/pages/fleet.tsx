/**
 * Fleet overview: every host at a glance (presence, health, anomaly score, open incidents, applied policy/model),
 * grouped by a label, filtered by label values, health and free-text search; a canvas health map above a paged table.
 */
import { useDeferredValue, useMemo, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api, keys } from '../api/api.ts';
import { useLive } from '../api/live.ts';
import type { Host } from '../api/types.ts';
import {
  ErrorBox,
  HealthBadge,
  LabelChips,
  Loading,
  Score,
  Time,
  epochMs,
  healthOf,
  type Health,
} from '../components/common.tsx';
import { HealthMap, type MapGroup } from '../components/health-map.tsx';
import { Link, navigate, useLocation } from '../router.tsx';

const PAGE = 100;

/** A host as the overview shows it: the API's fields, with the live stream's newer score, presence and time. */
export type FleetRow = Omit<Host, 'anomaly' | 'openIncidents'> & {
  anomaly: number | null;
  openIncidents: number;
  /** Newest of the API's `lastSeen` and the live stream's latest sample, in epoch milliseconds. */
  lastSeenMs: number | null;
  health: Health;
};

/** Hosts merged with the live stream's latest anomaly score and presence. */
export function useFleet() {
  const hosts = useQuery({ queryKey: keys.hosts, queryFn: api.hosts, refetchInterval: 15_000 });
  const live = useLive();
  const rows = useMemo<FleetRow[]>(() => {
    return (hosts.data ?? []).map((h) => {
      const s = live.latest.get(h.id);
      const online = live.presence.get(h.id) ?? h.online;
      const lastSampleAt = epochMs(h.lastSampleAt);
      const lastSeen = epochMs(h.lastSeen);
      // Compare sample with sample: lastSeen is a receive/presence time, later than any sample's collection time.
      const newer = s !== undefined && (lastSampleAt === null || s.ts >= lastSampleAt);
      const anomaly = newer ? s.anomaly : (h.anomaly ?? null);
      const lastSeenMs = newer && (lastSeen === null || s.ts > lastSeen) ? s.ts : lastSeen;
      const openIncidents = h.openIncidents ?? 0;
      return { ...h, online, anomaly, openIncidents, lastSeenMs, health: healthOf(online, anomaly, openIncidents) };
    });
  }, [hosts.data, live.latest, live.presence]);
  return { query: hosts, rows };
}

function setParam(search: URLSearchParams, key: string, value: string) {
  const next = new URLSearchParams(search);
  if (value) next.set(key, value);
  else next.delete(key);
  const q = next.toString();
  navigate(q ? `/?${q}` : '/', true);
}

export function FleetPage() {
  const { query, rows } = useFleet();
  const { search } = useLocation();
  const text = search.get('q') ?? '';
  const groupBy = search.get('group') ?? 'rack';
  const healthFilter = search.get('health') ?? '';
  const labelFilter = search.get('label') ?? '';
  const [page, setPage] = useState(0);
  const deferredText = useDeferredValue(text);

  const labelKeys = useMemo(() => [...new Set(rows.flatMap((r) => Object.keys(r.labels)))].sort(), [rows]);
  const labelValues = useMemo(() => {
    const s = new Set<string>();
    for (const r of rows) for (const [k, v] of Object.entries(r.labels)) s.add(`${k}=${v}`);
    return [...s].sort();
  }, [rows]);

  const filtered = useMemo(() => {
    const t = deferredText.trim().toLowerCase();
    const [lk, lv] = labelFilter.split('=');
    return rows.filter((r) => {
      if (healthFilter && r.health !== healthFilter) return false;
      if (lk && r.labels[lk] !== lv) return false;
      if (!t) return true;
      return (
        r.hostname.toLowerCase().includes(t) ||
        r.id.includes(t) ||
        Object.entries(r.labels).some(([k, v]) => `${k}=${v}`.toLowerCase().includes(t))
      );
    });
  }, [rows, deferredText, healthFilter, labelFilter]);

  const groups = useMemo<MapGroup[]>(() => {
    const by = new Map<string, FleetRow[]>();
    for (const r of filtered) {
      const g = groupBy ? (r.labels[groupBy] ?? `no ${groupBy}`) : 'All hosts';
      const list = by.get(g) ?? [];
      list.push(r);
      by.set(g, list);
    }
    return [...by.entries()]
      .sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true }))
      .map(([name, hosts]) => ({
        name: groupBy ? `${groupBy}=${name}` : name,
        hosts: hosts.sort((a, b) => a.hostname.localeCompare(b.hostname, undefined, { numeric: true })),
      }));
  }, [filtered, groupBy]);

  const sorted = useMemo(() => groups.flatMap((g) => g.hosts) as FleetRow[], [groups]);
  const pages = Math.max(1, Math.ceil(sorted.length / PAGE));
  const current = Math.min(page, pages - 1);
  const online = rows.filter((r) => r.online).length;
  // Hosts, not incidents: one rack-wide incident counts each of its hosts once.
  const inIncidents = rows.filter((r) => r.openIncidents > 0).length;

  return (
    <>
      <h1>Fleet</h1>
      <ErrorBox error={query.error} title="Cannot load hosts" />
      {query.isPending ? (
        <Loading what="hosts" />
      ) : (
        <>
          <dl className="stats" aria-label="Fleet summary">
            <div>
              <dt>Hosts</dt>
              <dd data-testid="host-count">{rows.length}</dd>
            </div>
            <div>
              <dt>Online</dt>
              <dd>{online}</dd>
            </div>
            <div>
              <dt>Critical</dt>
              <dd>{rows.filter((r) => r.health === 'critical').length}</dd>
            </div>
            <div>
              <dt>Hosts in open incidents</dt>
              <dd data-testid="hosts-in-incidents">{inIncidents}</dd>
            </div>
          </dl>
          <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
            <label>
              Search
              <input
                type="search"
                placeholder="hostname, id or label"
                value={text}
                onChange={(e) => setParam(search, 'q', e.target.value)}
              />
            </label>
            <label>
              Label
              <select value={labelFilter} onChange={(e) => setParam(search, 'label', e.target.value)}>
                <option value="">any</option>
                {labelValues.map((l) => (
                  <option key={l}>{l}</option>
                ))}
              </select>
            </label>
            <label>
              Health
              <select value={healthFilter} onChange={(e) => setParam(search, 'health', e.target.value)}>
                <option value="">any</option>
                <option value="healthy">healthy</option>
                <option value="warning">anomalous</option>
                <option value="critical">critical</option>
                <option value="offline">offline</option>
              </select>
            </label>
            <label>
              Group by
              <select value={groupBy} onChange={(e) => setParam(search, 'group', e.target.value)}>
                <option value="">nothing</option>
                {labelKeys.map((k) => (
                  <option key={k}>{k}</option>
                ))}
              </select>
            </label>
            <span className="muted" aria-live="polite">
              {filtered.length} of {rows.length} hosts shown
            </span>
          </form>
          {rows.length === 0 ? (
            <p className="empty">
              No hosts are enrolled yet. <Link to="/enroll">Create an enrollment token</Link> and run the install
              command on a server.
            </p>
          ) : (
            <>
              <section aria-labelledby="map-title">
                <h2 id="map-title">Health map</h2>
                <HealthMap groups={groups} onOpen={(id) => navigate(`/hosts/${encodeURIComponent(id)}`)} />
              </section>
              <section aria-labelledby="hosts-title">
                <h2 id="hosts-title">Hosts</h2>
                <div className="table-wrap">
                  <table className="hosts">
                    <thead>
                      <tr>
                        <th scope="col">Host</th>
                        <th scope="col">Health</th>
                        <th scope="col">Anomaly</th>
                        <th scope="col">Incidents</th>
                        <th scope="col">Policy</th>
                        <th scope="col">Models</th>
                        <th scope="col">Labels</th>
                        <th scope="col">Last seen</th>
                      </tr>
                    </thead>
                    <tbody>
                      {sorted.slice(current * PAGE, current * PAGE + PAGE).map((h) => (
                        <tr key={h.id} data-host={h.hostname}>
                          <th scope="row">
                            <Link to={`/hosts/${encodeURIComponent(h.id)}`}>{h.hostname}</Link>
                          </th>
                          <td>
                            <HealthBadge health={h.health} />
                          </td>
                          <td>
                            <Score value={h.anomaly} />
                          </td>
                          <td>{h.openIncidents || ''}</td>
                          <td>
                            {h.appliedPolicyVersion ?? <span className="muted">none</span>}
                            {(h.stateErrors ?? []).length > 0 && (
                              <span className="score-crit" title={(h.stateErrors ?? []).join('\n')}>
                                {' '}
                                ⚠ {(h.stateErrors ?? []).length} error(s)
                              </span>
                            )}
                          </td>
                          <td>
                            {Object.entries(h.appliedModels ?? {})
                              .map(([k, v]) => `${k} ${v}`)
                              .join(', ') || <span className="muted">none</span>}
                          </td>
                          <td>
                            <LabelChips labels={h.labels} />
                          </td>
                          <td>
                            <Time ts={h.lastSeenMs} />
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                {pages > 1 && (
                  <nav className="pager" aria-label="Host pages">
                    <button type="button" onClick={() => setPage(current - 1)} disabled={current === 0}>
                      Previous
                    </button>
                    <span>
                      Page {current + 1} of {pages}
                    </span>
                    <button type="button" onClick={() => setPage(current + 1)} disabled={current >= pages - 1}>
                      Next
                    </button>
                  </nav>
                )}
              </section>
            </>
          )}
        </>
      )}
    </>
  );
}
