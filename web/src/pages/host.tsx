/**
 * Host detail: charts of the anomaly score and features over a chosen range (15 min live … 7 days from stored
 * samples, downsampled by the control plane) with anomaly alert episodes shaded, the explanation of the last real
 * detection (the newest `anomaly.started`, not the newest sample) with a link that puts the chart at that moment,
 * failure predictions per disk, the agent version, inventory, healing actions and the host's audit trail.
 * `?range=1h&at=<ms>` shows the range centred on a moment (incidents link here at their time).
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api, keys } from '../api/api.ts';
import { ApiError } from '../api/http.ts';
import { useHostStream, type SampleEvent } from '../api/live.ts';
import type { Sample } from '../api/types.ts';
import { ErrorBox, HealthBadge, LabelChips, Loading, Score, Time, Empty } from '../components/common.tsx';
import { TimeChart } from '../components/time-chart.tsx';
import { HostActions } from '../components/host-actions.tsx';
import { unitOf, type Unit } from '../units.ts';
import { Link, navigate, useLocation } from '../router.tsx';
import { useCan } from '../session.tsx';
import { alertBands } from '../components/alert-bands.ts';
import { hostChartLink } from '../components/host-link.ts';
import { TableWrap } from '../components/table-wrap.tsx';

/** Chart ranges: key, words, span. */
const RANGES = [
  ['15m', '15 min', 15 * 60_000],
  ['1h', '1 h', 3_600_000],
  ['6h', '6 h', 6 * 3_600_000],
  ['24h', '24 h', 86_400_000],
  ['7d', '7 days', 7 * 86_400_000],
] as const;
const MAX_POINTS = 3000;

const COLORS = ['#3b82f6', '#e2a03f', '#22a06b', '#a855f7', '#d93f3f', '#0ea5e9'];

/** One charted reading: a stored sample's or a live one's features and anomaly score. */
type Point = { ts: number; features: Record<string, number | null>; anomaly: number | null };
const point = (s: Sample): Point => ({ ts: s.ts, features: s.features, anomaly: s.scores?.anomaly?.score ?? null });

/**
 * Groups features for charting by their prefix and unit (`cpu.user_pct` → `cpu` in %), so each chart has one unit on
 * its axis; at most 4 per chart and 8 charts.
 */
function featureGroups(samples: Point[]): { name: string; unit: Unit; features: string[] }[] {
  const names = new Set<string>();
  for (const s of samples.slice(-50)) for (const [k, v] of Object.entries(s.features)) if (v !== null) names.add(k);
  const by = new Map<string, { name: string; unit: Unit; features: string[] }>();
  for (const n of [...names].sort()) {
    const name = n.split(/[._:/]/)[0] ?? n;
    const unit = unitOf(n);
    const key = `${name}|${unit.symbol}`;
    const g = by.get(key) ?? { name, unit, features: [] };
    if (g.features.length < 4) g.features.push(n);
    by.set(key, g);
  }
  return [...by.values()].slice(0, 8);
}

export function HostPage({ id }: { id: string }) {
  const { search } = useLocation();
  const range = RANGES.find(([k]) => k === search.get('range')) ?? RANGES[0];
  const [rangeKey, rangeWords, rangeMs] = range;
  const at = Number(search.get('at')) || null;
  // Live (no `at`): the last `rangeMs` and new samples appended. At a moment: the range centred on it, fixed.
  const win = useMemo(() => {
    const now = Date.now();
    if (at === null) return { since: now - rangeMs, until: null as number | null };
    const until = Math.min(now, at + rangeMs / 2);
    return { since: until - rangeMs, until: until as number | null };
  }, [at, rangeMs, id]); // eslint-disable-line react-hooks/exhaustive-deps
  const live0 = at === null;
  const host = useQuery({ queryKey: keys.host(id), queryFn: () => api.host(id), refetchInterval: 30_000 });
  const history = useQuery({
    queryKey: keys.series(id, win.since, win.until),
    queryFn: async () => (await api.series(id, win.since, win.until ?? undefined)).samples,
    refetchOnWindowFocus: false,
  });
  const alerts = useQuery({
    queryKey: [...keys.events(id), 'alerts', win.since, win.until],
    queryFn: async () => {
      const until = win.until ?? Date.now() + 60_000;
      const [started, ended] = await Promise.all([
        api.eventsOfType(id, 'anomaly.started', win.since - rangeMs, until),
        api.eventsOfType(id, 'anomaly.ended', win.since, until),
      ]);
      return [...started, ...ended];
    },
    refetchInterval: live0 ? 30_000 : false,
  });
  const lastDetection = useQuery({
    queryKey: [...keys.events(id), 'last-detection'],
    queryFn: async () => (await api.eventsOfType(id, 'anomaly.started', undefined, undefined, 1))[0] ?? null,
    refetchInterval: 30_000,
  });
  const events = useQuery({ queryKey: keys.events(id), queryFn: () => api.events(id), refetchInterval: 30_000 });
  const loss = useQuery({
    queryKey: [...keys.host(id), 'loss'],
    queryFn: () => api.hostLoss(id),
    refetchInterval: 60_000,
  });
  // The audit log is the operator role's (GET /api/audit): a viewer's host page does not ask for it.
  const canAudit = useCan('operator');
  const audit = useQuery({ queryKey: keys.audit(id), queryFn: () => api.audit(id), retry: false, enabled: canAudit });
  const [live, setLive] = useState<Point[]>([]);

  useEffect(() => setLive([]), [id, history.dataUpdatedAt]);
  const onSample = useCallback(
    (e: SampleEvent) => {
      if (!live0) return;
      setLive((prev) => {
        const next = [...prev, { ts: e.ts, features: e.features, anomaly: e.anomaly }];
        return next.length > MAX_POINTS ? next.slice(-MAX_POINTS) : next;
      });
    },
    [live0],
  );
  useHostStream(id, onSample);

  const samples = useMemo(() => {
    const base = (history.data ?? []).map(point);
    const lastTs = base.at(-1)?.ts ?? 0;
    return [...base, ...live.filter((s) => s.ts > lastTs)].slice(-MAX_POINTS);
  }, [history.data, live]);
  const groups = useMemo(
    () => featureGroups(samples),
    [samples.length > 0 ? Object.keys(samples.at(-1)!.features).join() : ''],
  ); // eslint-disable-line react-hooks/exhaustive-deps
  const xs = useMemo(() => samples.map((s) => s.ts / 1000), [samples]);
  // The last real detection: the newest anomaly alert start, with the contributions at its peak.
  const detection = useMemo(() => {
    const e = lastDetection.data;
    if (!e) return null;
    const d = e.data as { peak?: number; score?: number; startedAt?: number; top?: unknown };
    const top = Array.isArray(d.top)
      ? (d.top as { feature: string; contribution: number; ratio: number | null }[]).filter(
          (c) => typeof c?.feature === 'string' && typeof c.contribution === 'number',
        )
      : [];
    return { ts: e.ts, startedAt: d.startedAt ?? e.ts, anomaly: d.peak ?? d.score ?? null, top };
  }, [lastDetection.data]);
  const bands = useMemo(
    () => alertBands(alerts.data ?? [], win.since, win.until ?? Math.max(Date.now(), samples.at(-1)?.ts ?? 0)),
    [alerts.data, win, samples],
  );
  const disks = useMemo(
    () => [...(history.data ?? [])].reverse().find((s) => (s.scores?.disks?.length ?? 0) > 0)?.scores?.disks ?? [],
    [history.data],
  );
  const latestAnomaly = samples.at(-1)?.anomaly ?? null;

  if (host.isPending) return <Loading what={`host ${id}`} />;
  if (host.error) return <ErrorBox error={host.error} title={`Cannot load host ${id}`} />;
  const h = host.data;
  const heals = (events.data ?? []).filter((e) => e.type.startsWith('heal.') || e.type.startsWith('action.'));
  return (
    <>
      <p className="crumbs">
        <Link to="/">Fleet</Link> / {h.hostname}
      </p>
      <h1>{h.hostname}</h1>
      <HostActions host={h} />
      <dl className="stats">
        <div>
          <dt>State</dt>
          <dd>
            <HealthBadge
              health={h.health?.status ?? (h.online ? 'healthy' : 'offline')}
              reasons={h.health?.reasons ?? []}
            />
            {(h.health?.reasons ?? []).length > 0 && (
              <span className="muted"> {(h.health?.reasons ?? []).join('; ')}</span>
            )}
          </dd>
        </div>
        <div>
          <dt>Anomaly score</dt>
          <dd data-testid="anomaly-score">
            <Score value={latestAnomaly ?? h.anomaly ?? null} />
          </dd>
        </div>
        <div>
          <dt>Policy</dt>
          <dd>{h.appliedPolicyVersion ?? 'none'}</dd>
        </div>
        <div>
          <dt>Models</dt>
          <dd>
            {Object.entries(h.appliedModels ?? {})
              .map(([k, v]) => `${k} ${v}`)
              .join(', ') || 'none'}
          </dd>
        </div>
        <div>
          <dt>Agent</dt>
          <dd data-testid="agent-version">
            {h.agentVersion ?? '—'}
            {h.previousAgentVersion ? ` (previous ${h.previousAgentVersion})` : ''}
            {h.agentPlatform ? ` · ${h.agentPlatform}` : ''}
          </dd>
        </div>
        <div>
          <dt>Last seen</dt>
          <dd>
            <Time ts={h.lastSeen} />
          </dd>
        </div>
        {loss.data && (
          <div>
            <dt>Records lost</dt>
            <dd data-testid="host-loss" title="seqs never stored: reported by the agent's outbox.dropped events or not">
              {loss.data.missing === 0
                ? 'none'
                : `${loss.data.explained} reported dropped${loss.data.unexplained ? `, ${loss.data.unexplained} unexplained` : ''}${loss.data.beforeOldest ? `, ${loss.data.beforeOldest} before the oldest stored` : ''}`}
            </dd>
          </div>
        )}
      </dl>
      <p>
        <LabelChips labels={h.labels} />
      </p>
      {(h.stateErrors ?? []).length > 0 && (
        <div className="error" role="alert">
          The agent reported errors applying its policy/models: {(h.stateErrors ?? []).join('; ')}
        </div>
      )}

      <section aria-labelledby="charts-title">
        <h2 id="charts-title">
          {live0 ? 'Live readings' : 'Readings'}{' '}
          <span className="muted">
            ({live0 ? `last ${rangeWords}` : `${rangeWords} around ${new Date(at!).toLocaleString()}`}, {samples.length}{' '}
            samples)
          </span>
        </h2>
        <div className="filters">
          <label>
            Range
            <select
              value={rangeKey}
              onChange={(e) => {
                const p = new URLSearchParams(search);
                if (e.target.value === '15m') p.delete('range');
                else p.set('range', e.target.value);
                const q = p.toString();
                navigate(`/hosts/${encodeURIComponent(id)}${q ? `?${q}` : ''}`, true);
              }}
            >
              {RANGES.map(([k, words]) => (
                <option key={k} value={k}>
                  {words}
                </option>
              ))}
            </select>
          </label>
          {!live0 && (
            <Link to={`/hosts/${encodeURIComponent(id)}${rangeKey === '15m' ? '' : `?range=${rangeKey}`}`}>
              Back to live
            </Link>
          )}
          <span className="muted">
            {bands.length > 0 ? `${bands.length} anomaly alert episode(s) shaded` : 'no anomaly alert in this range'}
          </span>
        </div>
        <ErrorBox error={history.error} title="Cannot load samples" />
        {history.isPending ? (
          <Loading what="samples" />
        ) : samples.length === 0 ? (
          <Empty>{live0 ? 'No samples received from this host yet.' : 'No stored samples in this range.'}</Empty>
        ) : (
          <div className="charts">
            <TimeChart
              title="Anomaly score"
              series={[{ label: 'anomaly', color: '#d93f3f' }]}
              data={[xs, samples.map((s) => s.anomaly)]}
              yRange={[0, 1]}
              bands={bands}
              marker={at !== null ? at / 1000 : null}
            />
            {groups.map((g) => (
              <TimeChart
                key={`${g.name}|${g.unit.symbol}`}
                title={g.name}
                unit={g.unit}
                series={g.features.map((f, i) => ({ label: f, color: COLORS[i % COLORS.length]! }))}
                data={[xs, ...g.features.map((f) => samples.map((s) => s.features[f] ?? null))]}
                bands={bands}
                marker={at !== null ? at / 1000 : null}
              />
            ))}
          </div>
        )}
      </section>

      <div className="two-col">
        <section aria-labelledby="explain-title">
          <h2 id="explain-title">Why the last detection</h2>
          {detection ? (
            <>
              <p data-testid="last-detection" data-ts={detection.ts}>
                Anomaly alert started <Time ts={detection.startedAt} /> (peak score <Score value={detection.anomaly} />
                ). <Link to={hostChartLink(id, detection.startedAt)}>Show on the chart</Link>
                {detection.top.length > 0 ? '. Features that contributed most:' : '.'}
              </p>
              <TableWrap label="Features behind the last detection">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Feature</th>
                      <th scope="col">Contribution</th>
                      <th scope="col">vs. usual</th>
                    </tr>
                  </thead>
                  <tbody>
                    {detection.top.map((c) => (
                      <tr key={c.feature}>
                        <th scope="row">
                          <code>{c.feature}</code>
                        </th>
                        <td>
                          <meter
                            min={0}
                            max={1}
                            value={Math.min(1, Math.abs(c.contribution))}
                            aria-label={`contribution of ${c.feature}`}
                          />{' '}
                          {c.contribution.toFixed(2)}
                        </td>
                        <td>{c.ratio != null ? `${c.ratio.toFixed(1)}×` : '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
            </>
          ) : (
            <Empty>No anomaly alert recorded for this host.</Empty>
          )}
        </section>
        <section aria-labelledby="disks-title">
          <h2 id="disks-title">Disk failure predictions</h2>
          {disks.length === 0 ? (
            <Empty>No disk predictions (no SMART data or no disk model).</Empty>
          ) : (
            <TableWrap label="Disk failure predictions">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Disk</th>
                    <th scope="col">Failure probability (30 days)</th>
                    <th scope="col">Model</th>
                  </tr>
                </thead>
                <tbody>
                  {disks.map((d) => (
                    <tr key={d.device}>
                      <th scope="row">
                        {d.device}
                        {d.serial && <span className="muted"> {d.serial}</span>}
                      </th>
                      <td className={d.probability >= 0.5 ? 'score-crit' : d.probability >= 0.2 ? 'score-warn' : ''}>
                        {(d.probability * 100).toFixed(1)}%
                      </td>
                      <td>{d.model}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )}
        </section>
      </div>

      <section aria-labelledby="heal-title">
        <h2 id="heal-title">Recent healing actions</h2>
        <ErrorBox error={events.error} title="Cannot load events" />
        {heals.length === 0 ? (
          <Empty>No healing actions recorded.</Empty>
        ) : (
          <TableWrap label="Recent healing actions">
            <table>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Action</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Detail</th>
                </tr>
              </thead>
              <tbody>
                {heals.slice(0, 50).map((e) => (
                  <tr key={e.seq}>
                    <td>
                      <Time ts={e.ts} />
                    </td>
                    <td>
                      <code>{String(e.data.action ?? e.type)}</code>
                    </td>
                    <td
                      className={
                        e.severity === 'critical' ? 'score-crit' : e.severity === 'warning' ? 'score-warn' : ''
                      }
                    >
                      {String(e.data.outcome ?? e.type.split('.').pop())}
                    </td>
                    <td className="detail">{e.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </section>

      <div className="two-col">
        <section aria-labelledby="inv-title">
          <h2 id="inv-title">Inventory</h2>
          {h.inventory ? <Inventory value={h.inventory} /> : <Empty>The agent has not sent an inventory yet.</Empty>}
        </section>
        <section aria-labelledby="audit-title">
          <h2 id="audit-title">Audit trail</h2>
          {audit.error && !(audit.error instanceof ApiError && audit.error.status === 404) && (
            <ErrorBox error={audit.error} title="Cannot load the audit trail" />
          )}
          {!canAudit && (
            <p className="muted" data-testid="audit-needs-operator">
              The agent's events only: the audit trail of changes needs the operator role.
            </p>
          )}
          {
            // biome-ignore lint/a11y/noNoninteractiveTabindex: it scrolls (max-height), so a keyboard must be able to focus it to scroll it (WCAG 2.1.1; axe scrollable-region-focusable); named for the screen reader landing there
            <ul className="timeline" tabIndex={0} aria-label="Audit trail, newest first">
              {[
                ...(audit.data ?? []).map((a) => ({
                  ts: a.at,
                  text: `${a.actor}: ${a.action}${Object.keys(a.detail).length ? ` — ${JSON.stringify(a.detail)}` : ''}`,
                  key: `a${a.id}`,
                })),
                ...(events.data ?? [])
                  .filter((e) => !heals.includes(e))
                  .map((e) => ({ ts: e.ts, text: `${e.type}${e.message ? `: ${e.message}` : ''}`, key: `e${e.seq}` })),
              ]
                .sort((a, b) => b.ts - a.ts)
                .slice(0, 50)
                .map((x) => (
                  <li key={x.key}>
                    <Time ts={x.ts} /> {x.text}
                  </li>
                ))}
            </ul>
          }
        </section>
      </div>
    </>
  );
}

function Inventory({ value }: { value: Record<string, unknown> }) {
  return (
    <dl className="inventory">
      {Object.entries(value).map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>
            {v !== null && typeof v === 'object' ? (
              <details>
                <summary>{Array.isArray(v) ? `${v.length} items` : 'details'}</summary>
                <pre>{JSON.stringify(v, null, 2)}</pre>
              </details>
            ) : (
              String(v)
            )}
          </dd>
        </div>
      ))}
    </dl>
  );
}
