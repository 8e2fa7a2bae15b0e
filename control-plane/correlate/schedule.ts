/**
 * Silence / maintenance-window schedules (UTC): one-off `[startsAt, endsAt)`, weekly (days + HH:MM + duration) and
 * cron-like (5 fields: minute hour day-of-month month day-of-week; `*`, lists, ranges, `/step`) with a duration.
 * `activeUntil(schedule, now)` returns the end of the occurrence covering `now`, or null.
 */
import { z } from 'zod';
import { ValidationError } from '../../contract/errors.ts';

/** Schedule document (validated). */
export const Schedule = z.discriminatedUnion('type', [
  z
    .object({ type: z.literal('once'), startsAt: z.number().int().nonnegative(), endsAt: z.number().int().positive() })
    .refine((s) => s.endsAt > s.startsAt, { message: 'endsAt must be after startsAt', path: ['endsAt'] }),
  z.object({
    type: z.literal('weekly'),
    days: z.array(z.number().int().min(0).max(6)).min(1),
    start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM (UTC)'),
    durationMinutes: z
      .number()
      .int()
      .positive()
      .max(7 * 1440),
    until: z.number().int().nullable().default(null),
  }),
  z.object({
    type: z.literal('cron'),
    expr: z.string(),
    durationMinutes: z
      .number()
      .int()
      .positive()
      .max(7 * 1440),
    until: z.number().int().nullable().default(null),
  }),
]);
export type Schedule = z.infer<typeof Schedule>;

const FIELDS: [string, number, number][] = [
  ['minute', 0, 59],
  ['hour', 0, 23],
  ['day-of-month', 1, 31],
  ['month', 1, 12],
  ['day-of-week', 0, 6],
];

/** Parses a 5-field cron expression into allowed-value sets; throws ValidationError naming each bad field. */
export function parseCron(expr: string): Set<number>[] {
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 5)
    throw new ValidationError(
      [{ path: 'expr', message: `cron needs 5 fields (minute hour dom month dow), got ${parts.length}` }],
      'schedule',
    );
  const issues: { path: string; message: string }[] = [];
  const sets = parts.map((p, i) => {
    const [name, lo, hi] = FIELDS[i]!;
    const set = new Set<number>();
    for (const item of p.split(',')) {
      const m = item.match(/^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/);
      if (!m) {
        issues.push({ path: `expr.${name}`, message: `cannot parse '${item}'` });
        continue;
      }
      const a = m[1] === '*' ? lo : Number(m[2]);
      const b = m[1] === '*' ? hi : m[3] !== undefined ? Number(m[3]) : m[4] ? hi : a;
      const step = m[4] ? Number(m[4]) : 1;
      if (a < lo || b > hi || a > b || step < 1) {
        issues.push({ path: `expr.${name}`, message: `'${item}' is outside ${lo}-${hi}` });
        continue;
      }
      for (let v = a; v <= b; v += step) set.add(v === 7 && i === 4 ? 0 : v);
    }
    return set;
  });
  if (issues.length) throw new ValidationError(issues, 'schedule');
  return sets;
}

/** Validates a schedule document, reporting every issue (cron fields included). */
export function parseSchedule(doc: unknown): Schedule {
  const r = Schedule.safeParse(doc);
  if (!r.success)
    throw new ValidationError(
      r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
      'schedule',
    );
  if (r.data.type === 'cron') parseCron(r.data.expr);
  return r.data;
}

/** End (ms) of the occurrence covering `now`, or null when the schedule is not active. */
export function activeUntil(s: Schedule, now: number): number | null {
  if (s.type === 'once') return now >= s.startsAt && now < s.endsAt ? s.endsAt : null;
  if (s.until !== null && now >= s.until) return null;
  const durMs = s.durationMinutes * 60_000;
  const matches = s.type === 'cron' ? cronMatcher(parseCron(s.expr)) : weeklyMatcher(s.days, s.start);
  // Latest trigger minute in (now - duration, now]; bounded by the 7-day maximum duration.
  const startMinute = Math.floor(now / 60_000) * 60_000;
  for (let t = startMinute; t > now - durMs; t -= 60_000) {
    if (matches(new Date(t))) {
      const end = t + durMs;
      return s.until !== null ? Math.min(end, s.until) : end;
    }
  }
  return null;
}

/** True when a schedule can never be active again at or after `now` (one-offs past their end, recurrences past `until`). */
export function isExpired(s: Schedule, now: number): boolean {
  return s.type === 'once' ? now >= s.endsAt : s.until !== null && now >= s.until;
}

function cronMatcher([mi, ho, dom, mo, dow]: Set<number>[]): (d: Date) => boolean {
  return (d) =>
    mi!.has(d.getUTCMinutes()) &&
    ho!.has(d.getUTCHours()) &&
    dom!.has(d.getUTCDate()) &&
    mo!.has(d.getUTCMonth() + 1) &&
    dow!.has(d.getUTCDay());
}

function weeklyMatcher(days: number[], start: string): (d: Date) => boolean {
  const [h, m] = start.split(':').map(Number) as [number, number];
  return (d) => days.includes(d.getUTCDay()) && d.getUTCHours() === h && d.getUTCMinutes() === m;
}
