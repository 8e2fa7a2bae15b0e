/**
 * Silences and maintenance windows by label selector. Both suppress incidents for the hosts they cover; maintenance
 * windows also pause non-essential actions on those hosts (the shell sends `pause` commands with `until` = the end of
 * the occurrence, so agents resume by themselves). {@link planSilenceTransitions} tells the shell which windows just
 * started (send pauses), which ended, and which expired for good (delete).
 */
import { matchesSelector, parseSelector, type Labels } from '../../contract/label-selector.ts';
import { activeUntil, isExpired, type Schedule } from './schedule.ts';

/** A silence or maintenance window. */
export interface Silence {
  id: string;
  kind: 'silence' | 'maintenance';
  selector: string;
  schedule: Schedule;
  reason: string;
  createdBy: string;
  /** Actions paused while active (maintenance only); [] = every non-essential action. */
  pauseActions: string[];
}

/** The active silence covering a host, with the end of its current occurrence. */
export function coveringSilence(
  silences: readonly Silence[],
  labels: Labels,
  now: number,
): { silence: Silence; until: number } | null {
  for (const s of silences) {
    const until = activeUntil(s.schedule, now);
    if (until !== null && matchesSelector(parseSelector(s.selector), labels)) return { silence: s, until };
  }
  return null;
}

/** Transitions since the last evaluation; `wasActive` = ids active at the previous evaluation. */
export interface SilenceTransitions {
  started: { silence: Silence; until: number; hosts: string[] }[];
  ended: Silence[];
  expired: Silence[];
  active: Set<string>;
}

/** Computes which windows started/ended at `now` and the hosts each started window covers. */
export function planSilenceTransitions(
  silences: readonly Silence[],
  hosts: ReadonlyMap<string, Labels>,
  wasActive: ReadonlySet<string>,
  now: number,
): SilenceTransitions {
  const out: SilenceTransitions = { started: [], ended: [], expired: [], active: new Set() };
  for (const s of silences) {
    const until = activeUntil(s.schedule, now);
    if (until !== null) {
      out.active.add(s.id);
      if (!wasActive.has(s.id)) {
        const reqs = parseSelector(s.selector);
        out.started.push({
          silence: s,
          until,
          hosts: [...hosts]
            .filter(([, l]) => matchesSelector(reqs, l))
            .map(([id]) => id)
            .sort(),
        });
      }
    } else if (wasActive.has(s.id)) out.ended.push(s);
    if (isExpired(s.schedule, now)) out.expired.push(s);
  }
  return out;
}
