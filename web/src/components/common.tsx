/** Small shared pieces: error and empty states, progress, relative times, health colours. */
import { useSyncExternalStore, type ReactNode } from 'react';
import { ApiError, describeError } from '../api/http.ts';
import type { HealthStatus } from '../../../contract/api/host-health.ts';

/**
 * Shows an error in words, announced to screen readers. With validation issues: what failed (without the API's
 * message, which repeats them) and the issues listed, so each problem is said once; else the whole message.
 */
export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const issues = error instanceof ApiError ? error.issues : [];
  return (
    <div className="error" role="alert">
      {title && <strong>{title}: </strong>}
      {error instanceof ApiError && issues.length > 0 ? error.summary : describeError(error)}
      {issues.length > 0 && (
        <ul>
          {issues.map((i, n) => (
            <li key={n}>
              {i.path && <code>{i.path}</code>} {i.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Loading indicator for a query, with the thing being loaded named. */
export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

/** A labelled progress bar (value 0..1, or indeterminate when null). */
export function Progress({ value, label }: { value: number | null; label: string }) {
  return (
    <div className="progress-wrap">
      <progress aria-label={label} max={1} value={value ?? undefined} />
      <span className="muted">{value === null ? label : `${label}: ${Math.round(value * 100)}%`}</span>
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/** "12 s ago", "3 min ago", or a date. */
export function ago(ts: number | null, now = Date.now()): string {
  if (!ts) return 'never';
  const s = Math.max(0, Math.round((now - ts) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(ts).toLocaleString();
}

/** Epoch milliseconds of an API instant: ISO strings (contract/api IsoTime) or epoch numbers (EpochMs); null stays. */
export function epochMs(t: string | number | null | undefined): number | null {
  if (t === null || t === undefined) return null;
  return typeof t === 'number' ? t : Date.parse(t);
}

/** One shared 1 s clock for every relative time on the page (one timer, however many times are shown). */
const clock = {
  now: Date.now(),
  listeners: new Set<() => void>(),
  timer: null as ReturnType<typeof setInterval> | null,
};
function subscribeClock(fn: () => void): () => void {
  clock.listeners.add(fn);
  clock.timer ??= setInterval(() => {
    clock.now = Date.now();
    for (const l of clock.listeners) l();
  }, 1000);
  return () => {
    clock.listeners.delete(fn);
    if (clock.listeners.size === 0 && clock.timer) {
      clearInterval(clock.timer);
      clock.timer = null;
    }
  };
}

/** The current time, re-rendering the caller every second (for "… ago" texts that stay true). */
export function useNow(): number {
  return useSyncExternalStore(
    subscribeClock,
    () => clock.now,
    () => clock.now,
  );
}

/** An instant as "… ago" (updated every second) with the full date as its title; ISO strings or epoch ms. */
export function Time({ ts: at }: { ts: string | number | null | undefined }) {
  const now = useNow();
  const ts = epochMs(at);
  if (!ts) return <span className="muted">—</span>;
  return (
    <time dateTime={new Date(ts).toISOString()} title={new Date(ts).toLocaleString()}>
      {ago(ts, Math.max(now, Date.now() - 1000))}
    </time>
  );
}

/** A host's health (contract/api/host-health.ts: facts first, the anomaly alert second). */
export type Health = HealthStatus;

export const HEALTH_COLORS: Record<Health, string> = {
  offline: '#8a8f98',
  healthy: '#22a06b',
  warning: '#e2a03f',
  critical: '#d93f3f',
};
export const HEALTH_WORDS: Record<Health, string> = {
  offline: 'Offline',
  healthy: 'Healthy',
  warning: 'Warning',
  critical: 'Critical',
};

export function HealthBadge({ health, reasons }: { health: Health; reasons?: readonly string[] }) {
  return (
    <span className={`badge badge-${health}`} title={reasons?.length ? reasons.join('\n') : undefined}>
      <span aria-hidden="true" className="dot" style={{ background: HEALTH_COLORS[health] }} />
      {HEALTH_WORDS[health]}
    </span>
  );
}

export function Score({ value }: { value: number | null }) {
  if (value === null) return <span className="muted">—</span>;
  return <span className={value >= 0.8 ? 'score-crit' : value >= 0.5 ? 'score-warn' : ''}>{value.toFixed(2)}</span>;
}

export function LabelChips({ labels }: { labels: Record<string, string> }) {
  return (
    <span className="chips">
      {Object.entries(labels).map(([k, v]) => (
        <span key={k} className="chip">
          {k}={v}
        </span>
      ))}
    </span>
  );
}
