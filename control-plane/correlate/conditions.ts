/**
 * Conditions: signals that last. Most signals are points (an escalation, a failed action) and an incident made of
 * them resolves after a quiet period. An anomaly alert is a state with a start and an end: the agent's alert state
 * machine (agent/infer/alert-state.ts) sends `anomaly.started` once the score has stayed high and `anomaly.ended`
 * once it has cleared. An incident holding conditions stays open while any of them is on (however long, with no
 * further events) and resolves when all have ended ("cleared"), unless point signals keep it busy, which then
 * resolve it by the quiet rule as before.
 */
import type { CorrelatorEvent, Incident, IncidentCondition } from './incident.ts';

/** What an event does to a condition: starts or ends the one named `key` (one per host and kind), or nothing. */
export type ConditionChange = { kind: 'start' | 'end'; key: string; condition: string; hostId: string } | null;

const KINDS: Record<string, { condition: string; change: 'start' | 'end' }> = {
  'anomaly.started': { condition: 'anomaly', change: 'start' },
  'anomaly.ended': { condition: 'anomaly', change: 'end' },
};

/** The condition an event starts or ends (`anomaly.started` / `anomaly.ended`), else null. */
export function conditionChange(e: Pick<CorrelatorEvent, 'type' | 'hostId'>): ConditionChange {
  const k = KINDS[e.type];
  return k ? { kind: k.change, key: `${e.hostId}:${k.condition}`, condition: k.condition, hostId: e.hostId } : null;
}

/** Adds (or re-opens) a condition on an incident. */
export function holdCondition(inc: Incident, c: NonNullable<ConditionChange>, since: number): void {
  const list = (inc.conditions ??= []);
  const cur = list.find((x) => x.key === c.key);
  if (cur) {
    if (cur.endedAt !== null) Object.assign(cur, { since, endedAt: null });
  } else list.push({ key: c.key, hostId: c.hostId, condition: c.condition, since, endedAt: null });
}

/** Marks a condition ended on an incident; true when it was on there. */
export function endCondition(inc: Incident, key: string, at: number): boolean {
  const cur = inc.conditions?.find((x) => x.key === key && x.endedAt === null);
  if (!cur) return false;
  cur.endedAt = at;
  return true;
}

/** Conditions of an incident still on. */
export function activeConditions(inc: Incident): IncidentCondition[] {
  return (inc.conditions ?? []).filter((c) => c.endedAt === null);
}

/**
 * Whether an open incident resolves now, and why:
 * - any condition on → never (a sustained alert keeps its incident open);
 * - conditions, all ended, and no point signal within `quietMs` → `cleared`;
 * - otherwise nothing for `quietMs` → `quiet` (the rule for point signals).
 */
export function resolutionOf(
  inc: Incident,
  now: number,
  quietMs: number,
): { reason: 'cleared' | 'quiet'; text: string } | null {
  const conditions = inc.conditions ?? [];
  if (conditions.some((c) => c.endedAt === null)) return null;
  const lastPoint = inc.lastPointEventAt ?? (conditions.length ? null : inc.lastEventAt);
  if (conditions.length && (lastPoint === null || now - lastPoint >= quietMs)) {
    const hosts = new Set(conditions.map((c) => c.hostId)).size;
    return {
      reason: 'cleared',
      text: `cleared: the anomaly alert${conditions.length > 1 ? 's' : ''} of ${hosts === 1 ? 'its host' : `all ${hosts} hosts`} ended`,
    };
  }
  if (now - inc.lastEventAt >= quietMs)
    return { reason: 'quiet', text: `quiet: no new signal for ${Math.round(quietMs / 60_000)} min` };
  return null;
}
