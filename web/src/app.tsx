/**
 * The shell: session gate, navigation, live-stream connection and the page for the current path. The fleet overview
 * and sign-in are in the entry bundle (the first paint); every other page is a lazy chunk loaded on first visit, so
 * CodeMirror (policies) and uPlot (host charts) travel only to the pages that use them.
 */
import { lazy, Suspense, useEffect, useState, type ReactNode } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, keys } from './api/api.ts';
import { ApiError } from './api/http.ts';
import { useFleetStream, useLive } from './api/live.ts';
import { ErrorBox, Loading } from './components/common.tsx';
import { Link, match, navigate, useLocation } from './router.tsx';
import { LoginPage } from './pages/login.tsx';
import { FleetPage } from './pages/fleet.tsx';
import type { Session } from './api/types.ts';
import { SessionProvider } from './session.tsx';

const HostPage = lazy(() => import('./pages/host.tsx').then((m) => ({ default: m.HostPage })));
const IncidentsPage = lazy(() => import('./pages/incidents.tsx').then((m) => ({ default: m.IncidentsPage })));
const IncidentPage = lazy(() => import('./pages/incidents.tsx').then((m) => ({ default: m.IncidentPage })));
const PoliciesPage = lazy(() => import('./pages/policies.tsx').then((m) => ({ default: m.PoliciesPage })));
const ModelsPage = lazy(() => import('./pages/models.tsx').then((m) => ({ default: m.ModelsPage })));
const ApprovalsPage = lazy(() => import('./pages/approvals.tsx').then((m) => ({ default: m.ApprovalsPage })));
const EnrollPage = lazy(() => import('./pages/enroll.tsx').then((m) => ({ default: m.EnrollPage })));
const UsersPage = lazy(() => import('./pages/users.tsx').then((m) => ({ default: m.UsersPage })));
const AuditPage = lazy(() => import('./pages/audit.tsx').then((m) => ({ default: m.AuditPage })));
const SilencesPage = lazy(() => import('./pages/silences.tsx').then((m) => ({ default: m.SilencesPage })));
const SettingsPage = lazy(() => import('./pages/settings.tsx').then((m) => ({ default: m.SettingsPage })));

type Route = {
  pattern: string;
  title: string;
  nav?: string;
  admin?: boolean;
  /** The least role that may open the page (admin implies `admin: true`). */
  operator?: boolean;
  render: (p: Record<string, string>, s: Session) => ReactNode;
};

const ROUTES: Route[] = [
  { pattern: '/', title: 'Fleet', nav: 'Fleet', render: () => <FleetPage /> },
  { pattern: '/hosts/:id', title: 'Host', render: (p) => <HostPage id={p.id!} /> },
  { pattern: '/incidents', title: 'Incidents', nav: 'Incidents', render: () => <IncidentsPage /> },
  { pattern: '/incidents/:id', title: 'Incident', render: (p) => <IncidentPage id={p.id!} /> },
  { pattern: '/policies', title: 'Policies', nav: 'Policies', render: () => <PoliciesPage /> },
  { pattern: '/policies/:name', title: 'Policy', render: (p) => <PoliciesPage name={p.name!} /> },
  { pattern: '/models', title: 'Models', nav: 'Models', render: () => <ModelsPage /> },
  { pattern: '/approvals', title: 'Approvals', nav: 'Approvals', render: () => <ApprovalsPage /> },
  { pattern: '/silences', title: 'Silences', nav: 'Silences', render: () => <SilencesPage kind="silence" /> },
  { pattern: '/maintenance', title: 'Maintenance windows', render: () => <SilencesPage kind="maintenance" /> },
  { pattern: '/audit', title: 'Audit log', nav: 'Audit', operator: true, render: (_p, s) => <AuditPage session={s} /> },
  { pattern: '/enroll', title: 'Enrollment', nav: 'Enrollment', admin: true, render: () => <EnrollPage /> },
  { pattern: '/users', title: 'Users & tokens', nav: 'Users & tokens', render: (_p, s) => <UsersPage session={s} /> },
  { pattern: '/settings', title: 'Settings', nav: 'Settings', admin: true, render: () => <SettingsPage /> },
];

/** Whether `role` may open route `r`. */
function allowed(r: Route, role: Session['role']): boolean {
  if (r.admin) return role === 'admin';
  if (r.operator) return role !== 'viewer';
  return true;
}

export function App() {
  const client = useQueryClient();
  const { path } = useLocation();
  const session = useQuery({
    queryKey: keys.session,
    queryFn: async () => {
      try {
        return await api.session();
      } catch (err) {
        if (err instanceof ApiError && (err.status === 401 || err.status === 404)) return null;
        throw err;
      }
    },
    staleTime: 60_000,
  });
  useFleetStream(client, !!session.data);

  const logout = useMutation({
    mutationFn: api.logout,
    onSettled: () => {
      client.clear();
      client.setQueryData(keys.session, null);
      navigate('/login');
    },
  });

  const [menuOpen, setMenuOpen] = useState(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the menu closes whenever the page changes
  useEffect(() => setMenuOpen(false), [path]);
  const found = ROUTES.map((r) => ({ r, p: match(r.pattern, path) })).find((x) => x.p);
  // The sign-in form shows for /login and for any page while signed out: its title says so.
  const signIn = session.isSuccess && (!session.data || path === '/login');
  const title = signIn ? 'Sign in' : (found?.r.title ?? 'Not found');
  useEffect(() => {
    document.title = `${title} · Homeostat`;
  }, [title]);

  if (session.isPending) return <Loading what="your session" />;
  if (session.error)
    return (
      <main className="page">
        <ErrorBox error={session.error} title="Cannot load your session" />
      </main>
    );
  if (!session.data || path === '/login') {
    return <LoginPage signedIn={!!session.data} />;
  }
  const s = session.data;
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link to="/" className="brand">
          Homeostat
        </Link>
        <button
          type="button"
          className="menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="main-nav"
          onClick={() => setMenuOpen((o) => !o)}
        >
          Menu
        </button>
        <nav aria-label="Main" id="main-nav" className={menuOpen ? 'open' : undefined}>
          <ul>
            {ROUTES.filter((r) => r.nav && allowed(r, s.role)).map((r) => (
              <li key={r.pattern}>
                <Link
                  to={r.pattern}
                  aria-current={
                    found?.r === r || (r.pattern !== '/' && path.startsWith(r.pattern)) ? 'page' : undefined
                  }
                >
                  {r.nav}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <LiveIndicator />
        <span className="who" data-testid="who">
          {s.username} <span className="muted">({s.role})</span>
        </span>
        <button type="button" className="link" onClick={() => logout.mutate()} disabled={logout.isPending}>
          Sign out
        </button>
      </header>
      <main id="main" className="page" tabIndex={-1}>
        <SessionProvider session={s}>
          {!found ? (
            <NotFound />
          ) : !allowed(found.r, s.role) ? (
            <Forbidden role={s.role} need={found.r.admin ? 'admin' : 'operator'} />
          ) : (
            <Suspense fallback={<Loading what="the page" />}>{found.r.render(found.p!, s)}</Suspense>
          )}
        </SessionProvider>
      </main>
    </div>
  );
}

function LiveIndicator() {
  const live = useLive();
  return (
    <span
      className={`live ${live.connected ? 'on' : 'off'}`}
      role="status"
      title={live.error ?? 'Receiving live updates'}
    >
      <span aria-hidden="true" className="dot" /> {live.connected ? 'Live' : live.error ? 'Reconnecting' : 'Connecting'}
    </span>
  );
}

function Forbidden({ role, need }: { role: string; need: string }) {
  return (
    <>
      <h1>Not available to you</h1>
      <p role="alert">
        This page needs the {need} role; you are signed in as {role}. Ask an admin for access.
      </p>
    </>
  );
}

function NotFound() {
  return (
    <>
      <h1>Page not found</h1>
      <p>
        There is nothing at this address. <Link to="/">Go to the fleet overview</Link>.
      </p>
    </>
  );
}
