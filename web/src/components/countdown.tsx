/** Time left until an instant ("in 4 min 10 s", "now"), ticking with the page's shared clock: soak ends, expiries. */
import { epochMs, useNow } from './common.tsx';

/** `ms` left in words: "in 2 h 5 min", "in 4 min 10 s", "in 9 s", "now" once passed. */
export function timeLeft(ms: number): string {
  const s = Math.ceil(ms / 1000);
  if (s <= 0) return 'now';
  if (s < 60) return `in ${s} s`;
  if (s < 3600) return `in ${Math.floor(s / 60)} min ${s % 60} s`;
  return `in ${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export function Countdown({ to }: { to: string | number }) {
  const now = useNow();
  const ts = epochMs(to) ?? 0;
  return (
    <time dateTime={new Date(ts).toISOString()} title={new Date(ts).toLocaleString()} data-testid="countdown">
      {timeLeft(ts - Math.max(now, Date.now() - 1000))}
    </time>
  );
}
