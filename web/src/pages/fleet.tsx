/**
 * Fleet overview: every host at a glance (presence, health with its reasons, the anomaly score now and its peak over a
 * selectable window, the anomaly alert, open incidents, applied policy/model), grouped by a label, filtered by label
 * values, status (or cordoned) and free-text search, sortable by any column; a canvas health map above a paged table. Health comes
 * from facts first (offline, incident severity, unhealthy services) and the anomaly alert second
 * (contract/api/host-health.ts), recomputed as live samples arrive.
 */
import { useDeferredValue, useMemo, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api, keys } from '../api/api.ts';
import { useLive } from '../api/live.ts';
import type { Host } from '../api/types.ts';
import { hostHealth } from '../../../contract/api/host-health.ts';
import {
  ErrorBox,
  HealthBadge,
  LabelChips,
  Loading,
  Score,
  Time,
  epochMs,
  type Health,
} from '../components/common.tsx';
import { HealthMap, type MapGroup } from '../components/health-map.tsx';
import { NowStrip } from '../components/now-strip.tsx';
import { CordonBadge } from '../components/host-cordon.tsx';
import { Link, navigate, useLocation } from '../router.tsx';
import { TableWrap } from '../components/table-wrap.tsx';

const PAGE = 100;
/** Windows of the peak column. */
const WINDOWS = [
  ['15m', '15 min'],
  ['1h', '1 h'],
  ['6h', '6 h'],
  ['24h', '24 h'],
  ['7d', '7 days'],
] as const;

/** A host as the overview shows it: the API's fields, with the live stream's newer score, presence and time. */
export type FleetRow = Omit<Host, 'anomaly' | 'openIncidents' | 'health'> & {
  anomaly: number | null;
  /** Highest score over the window, including live samples since the list was loaded. */
  peak: number | null;
  alertActive: boolean;
  openIncidents: number;
  /** Newest of the API's `lastSeen` and the live stream's latest sample, in epoch milliseconds. */
  lastSeenMs: number | null;
  health: Health;
  reasons: string[];
};

/** Hosts merged with the live stream's latest anomaly score, unhealthy services and presence. */
export function useFleet(window = '15m') {
  const hosts = useQuery({
    queryKey: keys.hostList(window),
    queryFn: () => api.hostList(window),
    refetchInterval: 15_000,
  });
  const live = useLive();
  const rows = useMemo<FleetRow[]>(() => {
    return (hosts.data?.hosts ?? []).map(({ health: _h, ...h }) => {
      const s = live.latest.get(h.id);
      const online = live.presence.get(h.id) ?? h.online;
      const lastSampleAt = epochMs(h.lastSampleAt);
      const lastSeen = epochMs(h.lastSeen);
      // Compare sample with sample: lastSeen is a receive/presence time, later than any sample's collection time.
      const newer = s !== undefined && (lastSampleAt === null || s.ts >= lastSampleAt);
      const anomaly = newer ? s.anomaly : (h.anomaly ?? null);
      const peaks = [h.anomalyPeak ?? null, anomaly].filter((x): x is number => x !== null);
      const peak = peaks.length ? Math.max(...peaks) : null;
      const unhealthy =
        newer && typeof s.features['services.unhealthy'] === 'number' ? s.features['services.unhealthy'] : null;
      const servicesUnhealthy = unhealthy ?? h.servicesUnhealthy ?? null;
      const lastSeenMs = newer && (lastSeen === null || s.ts > lastSeen) ? s.ts : lastSeen;
      const openIncidents = h.openIncidents ?? 0;
      const alertActive = h.alert?.active ?? false;
      const health = hostHealth({
        online,
        openIncidents,
        incidentSeverity: h.incidentSeverity ?? null,
        servicesUnhealthy,
        diskRisk: h.diskRisk ?? null,
        failedCollectors: h.failedCollectors ?? [],
        alertActive,
      });
      return {
        ...h,
        online,
        anomaly,
        peak,
        alertActive,
        servicesUnhealthy,
        openIncidents,
        lastSeenMs,
        health: health.status,
        reasons: health.reasons,
      };
    });
  }, [hosts.data, live.latest, live.presence]);
  return { query: hosts, rows };
}

/** Sortable columns and how they order rows (ascending; ties by hostname). */
const SEVERITY: Record<Health, number> = { healthy: 0, warning: 1, critical: 2, offline: 3 };
const SORTS = {
  name: { label: 'Host', cmp: (_a: FleetRow, _b: FleetRow) => 0 },
  status: { label: 'Status', cmp: (a: FleetRow, b: FleetRow) => SEVERITY[a.health] - SEVERITY[b.health] },
  anomaly: { label: 'Anomaly now', cmp: (a: FleetRow, b: FleetRow) => (a.anomaly ?? -1) - (b.anomaly ?? -1) },
  peak: { label: 'Peak', cmp: (a: FleetRow, b: FleetRow) => (a.peak ?? -1) - (b.peak ?? -1) },
  incidents: { label: 'Incidents', cmp: (a: FleetRow, b: FleetRow) => a.openIncidents - b.openIncidents },
  seen: { label: 'Last seen', cmp: (a: FleetRow, b: FleetRow) => (a.lastSeenMs ?? 0) - (b.lastSeenMs ?? 0) },
} as const;
type SortKey = keyof typeof SORTS;
const byName = (a: FleetRow, b: FleetRow) => a.hostname.localeCompare(b.hostname, undefined, { numeric: true });

/** Orders rows by a column; descending reverses the column but keeps names ascending among equals. */
export function sortRows(rows: readonly FleetRow[], key: SortKey, dir: 'asc' | 'desc'): FleetRow[] {
  const sign = dir === 'asc' ? 1 : -1;
  const cmp = SORTS[key].cmp;
  return [...rows].sort((a, b) => (key === 'name' ? sign * byName(a, b) : sign * cmp(a, b) || byName(a, b)));
}

/** Whether a host passes the Status filter (`?health=`): each value finds exactly the hosts one summary tile counts. */
function statusMatches(r: FleetRow, filter: string): boolean {
  switch (filter) {
    case '':
      return true;
    case 'online':
      return r.online;
    case 'in-incident':
      return r.openIncidents > 0;
    case 'anomalous':
      return r.alertActive;
    case 'cordoned':
      return !!r.cordon;
    default:
      return r.health === filter;
  }
}

function setParam(search: URLSearchParams, key: string, value: string) {
  const next = new URLSearchParams(search);
  if (value) next.set(key, value);
  else next.delete(key);
  const q = next.toString();
  navigate(q ? `/?${q}` : '/', true);
}

/** A column header that sorts the table by that column (again: reverses); `aria-sort` says how it is sorted. */
function SortHeader({ k, search, sort, dir }: { k: SortKey; search: URLSearchParams; sort: string; dir: string }) {
  const active = sort === k;
  const next = active && dir === 'asc' ? 'desc' : active ? 'asc' : k === 'name' ? 'asc' : 'desc';
  return (
    <th scope="col" aria-sort={active ? (dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button
        type="button"
        className="sort"
        onClick={() => {
          const p = new URLSearchParams(search);
          p.set('sort', k);
          p.set('dir', next);
          navigate(`/?${p.toString()}`, true);
        }}
      >
        {SORTS[k].label}
        <span aria-hidden="true">{active ? (dir === 'asc' ? ' ▲' : ' ▼') : ''}</span>
      </button>
    </th>
  );
}

export function FleetPage() {
  const { search } = useLocation();
  const window = search.get('window') ?? '15m';
  const { query, rows } = useFleet(window);
  const sort = (search.get('sort') ?? '') as SortKey | '';
  const dir = search.get('dir') === 'asc' ? 'asc' : 'desc';
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
      if (!statusMatches(r, healthFilter)) return false;
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

  const sorted = useMemo(
    () =>
      sort && sort in SORTS
        ? sortRows(filtered, sort, sort === 'name' && !search.get('dir') ? 'asc' : dir)
        : (groups.flatMap((g) => g.hosts) as FleetRow[]),
    [groups, filtered, sort, dir, search],
  );
  const windowWords = WINDOWS.find(([w]) => w === window)?.[1] ?? window;
  const pages = Math.max(1, Math.ceil(sorted.length / PAGE));
  const current = Math.min(page, pages - 1);
  const online = rows.filter((r) => statusMatches(r, 'online')).length;
  // Hosts, not incidents: one rack-wide incident counts each of its hosts once.
  const inIncidents = rows.filter((r) => statusMatches(r, 'in-incident')).length;

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
              <dd data-testid="online-count">{online}</dd>
            </div>
            <div>
              <dt>Critical</dt>
              <dd data-testid="critical-count">{rows.filter((r) => r.health === 'critical').length}</dd>
            </div>
            <div>
              <dt>Warning</dt>
              <dd data-testid="warning-count">{rows.filter((r) => r.health === 'warning').length}</dd>
            </div>
            <div>
              <dt>In anomaly alert</dt>
              <dd data-testid="alert-count">{rows.filter((r) => r.alertActive).length}</dd>
            </div>
            <div>
              <dt>Cordoned</dt>
              <dd data-testid="cordoned-count">{rows.filter((r) => r.cordon).length}</dd>
            </div>
            <div>
              <dt>Hosts in open incidents</dt>
              <dd data-testid="hosts-in-incidents">{inIncidents}</dd>
            </div>
          </dl>
          <NowStrip />
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
              Status
              <select value={healthFilter} onChange={(e) => setParam(search, 'health', e.target.value)}>
                <option value="">any</option>
                <option value="online">online</option>
                <option value="healthy">healthy</option>
                <option value="warning">warning</option>
                <option value="critical">critical</option>
                <option value="offline">offline</option>
                <option value="anomalous">in an anomaly alert</option>
                <option value="in-incident">in an open incident</option>
                <option value="cordoned">cordoned</option>
              </select>
            </label>
            <label>
              Peak over
              <select
                value={window}
                onChange={(e) => setParam(search, 'window', e.target.value === '15m' ? '' : e.target.value)}
              >
                {WINDOWS.map(([w, words]) => (
                  <option key={w} value={w}>
                    {words}
                  </option>
                ))}
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
                <TableWrap label="Hosts">
                  <table className="hosts">
                    <thead>
                      <tr>
                        <SortHeader k="name" search={search} sort={sort} dir={dir} />
                        <SortHeader k="status" search={search} sort={sort} dir={dir} />
                        <SortHeader k="anomaly" search={search} sort={sort} dir={dir} />
                        <SortHeader k="peak" search={search} sort={sort} dir={dir} />
                        <th scope="col">Alert</th>
                        <SortHeader k="incidents" search={search} sort={sort} dir={dir} />
                        <th scope="col">Policy</th>
                        <th scope="col">Models</th>
                        <th scope="col">Labels</th>
                        <SortHeader k="seen" search={search} sort={sort} dir={dir} />
                      </tr>
                    </thead>
                    <tbody>
                      {sorted.slice(current * PAGE, current * PAGE + PAGE).map((h) => (
                        <tr key={h.id} data-host={h.hostname}>
                          <th scope="row">
                            <Link to={`/hosts/${encodeURIComponent(h.id)}`}>{h.hostname}</Link>
                            {h.cordon && (
                              <>
                                {' '}
                                <CordonBadge cordon={h.cordon} />
                              </>
                            )}
                          </th>
                          <td>
                            <HealthBadge health={h.health} reasons={h.reasons} />
                            {h.reasons.length > 0 && h.health !== 'offline' && (
                              <span className="muted reasons"> {h.reasons.join('; ')}</span>
                            )}
                          </td>
                          <td>
                            <Score value={h.anomaly} />
                          </td>
                          <td title={`highest score over the last ${windowWords}`}>
                            <Score value={h.peak} />
                          </td>
                          <td>
                            {h.alertActive ? (
                              <span
                                className="score-warn"
                                title={h.alert?.since ? new Date(h.alert.since).toLocaleString() : undefined}
                              >
                                on
                                {h.alert?.since ? (
                                  <>
                                    , since <Time ts={h.alert.since} />
                                  </>
                                ) : null}
                              </span>
                            ) : (
                              ''
                            )}
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
                </TableWrap>
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
