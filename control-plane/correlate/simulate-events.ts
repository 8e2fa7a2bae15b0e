/**
 * Turns the simulator's raw fault output into the events an agent fleet would send (simulate.ts):
 * - a host that lost power (`rack-power`) sends nothing until power returns;
 * - anomaly alert episodes become `anomaly.started` / `anomaly.ended` (agent/infer/alert-state.ts): one alert at a
 *   time per host, so overlapping episodes (two faults, or a fault and a blip) make one alert, started by the first
 *   (a fault's over a blip's: the alert reports its peak);
 * - an event that another fault produced identically at the same time on the same host (same signature within
 *   10 min, or an alert two faults kept on) lists the other causes in `alsoCauses`: no correlator can tell them apart,
 *   and evaluate.ts credits it to either.
 */
import type { CorrelatorEvent } from './incident.ts';
import { defaultSignatureOf } from './signals.ts';
import type { SimCause, SimEvent } from './simulate.ts';

/** An alert episode of one host (ms). */
export interface Episode extends SimCause {
  hostId: string;
  start: number;
  end: number;
  feature?: string | undefined;
}

/** A host without power (ms, [from, to)). */
export interface Outage {
  hostId: string;
  from: number;
  to: number;
}

const SAME_SYMPTOM_MS = 10 * 60_000;
/** An alert that clears for less than this and comes back is the same episode (the agent's clear time). */
const REARM_MS = 60_000;

/** Merges, clips and renders; returns every event sorted by time (ids still empty). */
export function finishEvents(points: SimEvent[], episodes: Episode[], outages: Outage[]): SimEvent[] {
  const down = new Map<string, Outage[]>();
  for (const o of outages) (down.get(o.hostId) ?? down.set(o.hostId, []).get(o.hostId)!).push(o);
  const isDown = (hostId: string, at: number) => (down.get(hostId) ?? []).some((o) => at > o.from && at < o.to);
  const out = points.filter((p) => !isDown(p.event.hostId, p.at));
  markSameSymptom(out);

  const byHost = new Map<string, Episode[]>();
  for (const e of episodes) {
    if (isDown(e.hostId, e.start)) continue;
    const cut = (down.get(e.hostId) ?? []).find((o) => o.from > e.start && o.from < e.end);
    const clipped = cut ? { ...e, end: cut.from } : e;
    (byHost.get(e.hostId) ?? byHost.set(e.hostId, []).get(e.hostId)!).push(clipped);
  }
  for (const list of byHost.values()) {
    list.sort((a, b) => a.start - b.start);
    let cur: { first: Episode; end: number; also: Map<string, SimCause> } | null = null;
    const flush = () => {
      if (cur) out.push(...renderEpisode(cur.first, cur.end, [...cur.also.values()]));
    };
    for (const e of list) {
      if (cur && e.start <= cur.end + REARM_MS) {
        cur.end = Math.max(cur.end, e.end);
        // A fault that takes over an alert a blip started is what the alert reports (its peak, its features).
        if (cur.first.cause === 'noise' && e.cause !== 'noise') cur.first = { ...e, start: cur.first.start };
        else if (e.cause !== 'noise' && e.cause !== cur.first.cause)
          cur.also.set(e.cause, { cause: e.cause, truth: e.truth });
        continue;
      }
      flush();
      cur = { first: e, end: e.end, also: new Map() };
    }
    flush();
  }
  return out.sort((a, b) => a.at - b.at);
}

function renderEpisode(e: Episode, end: number, also: SimCause[]): SimEvent[] {
  const top = e.feature ? [{ feature: e.feature, contribution: 1 }] : [];
  const model = 'anomaly-multi@6.0.0'; // as the agent labels its alerts (name@version of the bundled card)
  const base = { cause: e.cause, truth: e.truth };
  const event = (type: string, ts: number, data: Record<string, unknown>): CorrelatorEvent => ({
    id: '',
    hostId: e.hostId,
    ts,
    type,
    severity: 'warning',
    data,
  });
  const started: SimEvent = {
    ...base,
    at: e.start,
    event: event('anomaly.started', e.start, {
      model,
      peak: 0.9,
      score: 0.8,
      startedAt: e.start,
      top,
      enter: 0.6,
      exit: 0.4,
    }),
  };
  if (also.length) started.alsoCauses = also;
  const ended: SimEvent = {
    ...base,
    at: end,
    event: event('anomaly.ended', end, {
      model,
      peak: 0.9,
      startedAt: e.start,
      endedAt: end,
      durationMs: end - e.start,
      top,
    }),
  };
  return [started, ended];
}

/** Same host, same signature, another non-noise cause within SAME_SYMPTOM_MS: indistinguishable. */
function markSameSymptom(points: SimEvent[]): void {
  const groups = new Map<string, SimEvent[]>();
  for (const p of points) {
    if (p.cause === 'noise') continue;
    const k = `${p.event.hostId}\0${defaultSignatureOf(p.event)}`;
    (groups.get(k) ?? groups.set(k, []).get(k)!).push(p);
  }
  for (const list of groups.values()) {
    if (new Set(list.map((p) => p.cause)).size < 2) continue;
    for (const p of list) {
      const also = new Map<string, SimCause>();
      for (const q of list)
        if (q.cause !== p.cause && Math.abs(q.at - p.at) <= SAME_SYMPTOM_MS)
          also.set(q.cause, { cause: q.cause, truth: q.truth });
      if (also.size) p.alsoCauses = [...also.values()];
    }
  }
}
