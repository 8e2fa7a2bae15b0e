/**
 * The overview's "now" strip: what is happening at this moment, each linked to where it is handled: open incidents
 * (newest first), pending approvals, active rollouts (pending or soaking) and the fleet's latest events (each linking
 * to its host's charts at that moment), with the cordons and uncordons seen since the page loaded first (host-cordon.tsx):
 * told by the live stream, or by the fleet host list when this page's stream missed the event (api/cordon-changes.ts).
 * Kept live by the fleet stream's invalidations and a short refetch.
 */
import { useQuery } from '@tanstack/react-query';
import { api, keys } from '../api/api.ts';
import { Link } from '../router.tsx';
import { hostChartLink } from './host-link.ts';
import { useHostNames } from './host-names.tsx';
import { Time } from './common.tsx';
import { useLive } from '../api/live.ts';
import { cordonedBy } from './host-cordon.tsx';

const SHOW = 3;

export function NowStrip() {
  const hosts = useHostNames();
  const incidents = useQuery({ queryKey: keys.incidents, queryFn: api.incidents, refetchInterval: 15_000 });
  const approvals = useQuery({ queryKey: keys.approvals, queryFn: api.approvals, refetchInterval: 15_000 });
  const rollouts = useQuery({ queryKey: keys.rollouts, queryFn: api.rollouts, refetchInterval: 15_000 });
  const events = useQuery({
    queryKey: keys.recentEvents,
    queryFn: () => api.recentEvents(6),
    refetchInterval: 10_000,
  });
  const { cordons } = useLive();
  const open = (incidents.data ?? []).filter((i) => i.status === 'open').sort((a, b) => b.openedAt - a.openedAt);
  const pending = (approvals.data ?? []).filter((a) => a.status === 'pending');
  const active = (rollouts.data ?? []).filter((r) => r.status === 'pending' || r.status === 'soaking');
  return (
    <section className="now-strip" aria-labelledby="now-title" data-testid="now-strip">
      <h2 id="now-title">Now</h2>
      <div className="now-cards">
        <div className="now-card" data-testid="now-incidents">
          <h3>
            <Link to="/incidents">Open incidents</Link> <span className="now-count">{open.length}</span>
          </h3>
          <ul>
            {open.slice(0, SHOW).map((i) => (
              <li key={i.id}>
                <Link to={`/incidents/${encodeURIComponent(i.id)}`}>{hosts.humanize(i.title)}</Link>{' '}
                <span className="muted">
                  <Time ts={i.openedAt} />
                </span>
              </li>
            ))}
            {open.length === 0 && <li className="muted">none</li>}
          </ul>
        </div>
        <div className="now-card" data-testid="now-approvals">
          <h3>
            <Link to="/approvals">Pending approvals</Link> <span className="now-count">{pending.length}</span>
          </h3>
          <ul>
            {pending.slice(0, SHOW).map((a) => (
              <li key={a.id}>
                <Link to="/approvals">
                  {a.action} on {a.hostId ? hosts.name(a.hostId) : `${a.groupKey}=${a.groupValue}`}
                </Link>{' '}
                <span className="muted">
                  <Time ts={a.requestedAt} />
                </span>
              </li>
            ))}
            {pending.length === 0 && <li className="muted">none</li>}
          </ul>
        </div>
        <div className="now-card" data-testid="now-rollouts">
          <h3>
            Active rollouts <span className="now-count">{active.length}</span>
          </h3>
          <ul>
            {active.slice(0, SHOW).map((r) => (
              <li key={r.id}>
                <Link to={r.kind === 'policy' ? `/policies/${encodeURIComponent(r.subject)}` : '/models'}>
                  {r.subject} {r.version}
                </Link>{' '}
                <span className="muted">
                  wave {Math.max(0, r.wave) + 1} of {r.waves.length}, {r.status}
                </span>
              </li>
            ))}
            {active.length === 0 && <li className="muted">none</li>}
          </ul>
        </div>
        <div className="now-card now-events" data-testid="now-events">
          <h3>Latest events</h3>
          <ul>
            {cordons.map((c) => (
              <li key={`cordon:${c.hostId}:${c.ts}:${c.cordoned}`} data-testid="live-cordon">
                <Link to={`/hosts/${encodeURIComponent(c.hostId)}`}>
                  {hosts.name(c.hostId)}:{' '}
                  {c.cordoned && c.by && c.source
                    ? `cordoned by ${cordonedBy({ by: c.by, source: c.source })}: ${c.reason ?? ''}`
                    : 'uncordoned'}
                </Link>{' '}
                <span className="muted">
                  <Time ts={c.ts} />
                </span>
              </li>
            ))}
            {(events.data ?? []).map((e) => (
              <li key={`${e.hostId}:${e.seq}`}>
                <Link to={hostChartLink(e.hostId, e.ts)}>
                  {hosts.name(e.hostId)}: {e.type}
                </Link>{' '}
                <span className="muted">
                  <Time ts={e.ts} />
                </span>
              </li>
            ))}
            {events.data?.length === 0 && <li className="muted">none</li>}
          </ul>
        </div>
      </div>
    </section>
  );
}
