/**
 * Replays a simulated scenario through the correlator on a simulated clock (ticks every 30 s) and scores the result
 * against ground truth: compression (1 − incidents/events), purity (mean share of each incident's events that come
 * from its dominant cause), root-cause accuracy (share of incidents whose hint names the dominant cause's true
 * attribute), merged causes (incidents holding an event of a non-noise cause other than their dominant one) and the
 * median time from a cause's first event to the first incident dominated by it. An event that two causes produced
 * identically (`alsoCauses`, simulate-events.ts) counts for either.
 */
import { createCorrelator, type CorrelatorOptions } from './correlator.ts';
import type { Incident } from './incident.ts';
import { createPopulation } from './population.ts';
import type { Simulation } from './simulate.ts';

/** Benchmark figures (the `--json` object of bench/correlate.ts). */
export interface CorrelationScore {
  events: number;
  incidents: number;
  compression: number;
  purity: number;
  rootCauseAccuracy: number;
  mergedCauses: number;
  medianSecondsToIncident: number | null;
}

/** Per-incident detail for the human report. */
export interface IncidentReport {
  id: string;
  title: string;
  hint: string;
  explanation: string;
  openedAt: number;
  dominantCause: string;
  purity: number;
  correctHint: boolean;
  causes: Record<string, number>;
  /** Events of another non-noise cause that the dominant cause does not explain (> 0: a merged cause). */
  otherCauses: number;
}

/** Runs `sim` through a correlator built with `options` and scores it. */
export function evaluateScenario(
  sim: Simulation,
  options: Omit<CorrelatorOptions, 'population'> = {},
): {
  score: CorrelationScore;
  incidents: IncidentReport[];
  missedCauses: string[];
  secondsToIncident: Record<string, number>;
} {
  const population = createPopulation(sim.hosts);
  const correlator = createCorrelator({ ...options, population });
  const byId = new Map(sim.events.map((e) => [e.event.id!, e]));
  const TICK = 30_000;
  let nextTick = (sim.events[0]?.at ?? 0) + TICK;
  let ci = 0;
  for (const e of sim.events) {
    while (nextTick <= e.at) {
      correlator.tick(nextTick);
      nextTick += TICK;
    }
    while (ci < sim.attributeChanges.length && sim.attributeChanges[ci]!.at <= e.at) {
      const c = sim.attributeChanges[ci++]!;
      population.upsert(c.hostId, { ...population.attributes(c.hostId), [c.key]: c.value });
    }
    correlator.ingest(e.event, population.attributes(e.event.hostId) ?? {}, e.at);
  }
  const end = Math.max(sim.endAt, nextTick) + 2 * 3_600_000;
  for (; nextTick <= end; nextTick += TICK) correlator.tick(nextTick);

  const incidents = correlator.incidents().filter((i) => i.status !== 'merged');
  const reports = incidents.map((i) => report(i, byId));
  const firstEvent = new Map<string, number>();
  for (const e of sim.events) if (e.cause !== 'noise' && !firstEvent.has(e.cause)) firstEvent.set(e.cause, e.at);
  const firstIncident = new Map<string, number>();
  incidents.forEach((inc, k) => {
    const c = reports[k]!.dominantCause;
    if (c !== 'noise' && (firstIncident.get(c) ?? Number.POSITIVE_INFINITY) > inc.openedAt)
      firstIncident.set(c, inc.openedAt);
  });
  const delays = [...firstIncident].map(([c, at]) => (at - firstEvent.get(c)!) / 1000).sort((a, b) => a - b);
  const n = incidents.length;
  const round = (x: number) => Math.round(x * 10_000) / 10_000;
  return {
    score: {
      events: sim.events.length,
      incidents: n,
      compression: round(sim.events.length ? 1 - n / sim.events.length : 0),
      purity: round(n ? reports.reduce((s, r) => s + r.purity, 0) / n : 1),
      rootCauseAccuracy: round(n ? reports.filter((r) => r.correctHint).length / n : 1),
      mergedCauses: reports.filter((r) => r.otherCauses > 0).length,
      medianSecondsToIncident: delays.length ? median(delays) : null,
    },
    incidents: reports,
    secondsToIncident: Object.fromEntries([...firstIncident].map(([c, at]) => [c, (at - firstEvent.get(c)!) / 1000])),
    missedCauses: [...firstEvent.keys()].filter((c) => !firstIncident.has(c)),
  };
}

function report(i: Incident, byId: Map<string, Simulation['events'][number]>): IncidentReport {
  // Each event credits its cause and any cause that produced the same signal there and then (alsoCauses).
  const causes: Record<string, number> = {};
  const truths = new Map<string, { key: string; value: string }>();
  const events: Simulation['events'] = [];
  for (const id of i.eventIds) {
    const e = byId.get(id);
    if (!e) continue;
    events.push(e);
    for (const c of [e, ...(e.alsoCauses ?? [])]) {
      causes[c.cause] = (causes[c.cause] ?? 0) + 1;
      truths.set(c.cause, c.truth);
    }
  }
  // The dominant cause: the most frequent real cause; noise only when nothing else is there.
  const [dominantCause, top] = Object.entries(causes).sort(
    (a, b) => Number(a[0] === 'noise') - Number(b[0] === 'noise') || b[1] - a[1],
  )[0] ?? ['unknown', 0];
  const truth = truths.get(dominantCause);
  const explained = (e: Simulation['events'][number]) =>
    e.cause === dominantCause || !!e.alsoCauses?.some((c) => c.cause === dominantCause);
  return {
    id: i.id,
    title: i.title,
    hint: `${i.hint.key}=${i.hint.value}`,
    explanation: i.hint.explanation,
    openedAt: i.openedAt,
    dominantCause,
    causes,
    purity: events.length ? top / events.length : 0,
    correctHint: !!truth && truth.key === i.hint.key && truth.value === i.hint.value,
    otherCauses: events.filter((e) => e.cause !== 'noise' && !explained(e)).length,
  };
}

function median(xs: number[]): number {
  const m = xs.length >> 1;
  return xs.length % 2 ? xs[m]! : (xs[m - 1]! + xs[m]!) / 2;
}
