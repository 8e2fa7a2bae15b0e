/**
 * Incident lifecycle: open incidents resolving when quiet or when every alert they hold has ended (conditions.ts).
 */
import { endCondition, resolutionOf } from './conditions.ts';
import { type CorrelatorState, openIncidents, view } from './correlator-state.ts';
import type { IncidentChange } from './incident.ts';

/** Resolves the open incidents that are quiet (or cleared) at `now`. */
export function resolveQuiet(cs: CorrelatorState, now: number): IncidentChange[] {
  const changes: IncidentChange[] = [];
  for (const i of openIncidents(cs)) {
    const r = resolutionOf(i, now, cs.o.resolveAfterMs);
    if (!r) continue;
    i.status = 'resolved';
    i.resolvedAt = now;
    i.updatedAt = now;
    i.resolution = { ...r, at: now };
    changes.push({ type: 'resolved', incident: view(i) });
  }
  return changes;
}

/** An alert ended: off in pending signals and in open incidents, which resolve when nothing else holds them. */
export function onEnd(cs: CorrelatorState, key: string, ts: number, now: number): IncidentChange[] {
  cs.active.delete(key);
  for (const r of cs.recent) if (r.condition?.key === key) delete r.condition;
  const changes: IncidentChange[] = [];
  for (const i of openIncidents(cs)) {
    if (!endCondition(i, key, ts)) continue;
    i.updatedAt = now;
    const r = resolutionOf(i, now, cs.o.resolveAfterMs);
    if (r) {
      i.status = 'resolved';
      i.resolvedAt = now;
      i.resolution = { ...r, at: now };
      changes.push({ type: 'resolved', incident: view(i) });
    } else changes.push({ type: 'updated', incident: view(i) });
  }
  return changes;
}
