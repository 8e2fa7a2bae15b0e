/**
 * Attribution: which open cause a new signal belongs to (cause-search.ts bestExplaining on each candidate's onset
 * rate as it stood when the signal came), or the host's own incident, or none yet.
 */
import { bestExplaining, onsetHazard, onsetOver, type OpenCause } from './cause-search.ts';
import { type CorrelatorState, openIncidents, type Signal } from './correlator-state.ts';
import type { Incident } from './incident.ts';
import type { HostAttributes } from './population.ts';

/**
 * The open cause an event belongs to. A host's repeated point event (a crash loop every few minutes) continues with
 * the cause its first one went to; an onset (a first event of this symptom, or a new alert) goes to the open cause
 * of its attributes and symptom whose holders are being hit now (bestExplaining), and to none whose onset of this
 * symptom is over (onsetOver): the event is then as likely the host's own fault as anyone's and waits for a group or
 * a host incident of its own.
 */
export function chooseIncident(cs: CorrelatorState, s: Signal, attrs: HostAttributes): Incident | null {
  const groups = openIncidents(cs).filter(
    (i) => i.scope === 'group' && attrs[i.key] === i.value && i.signatures.includes(s.sig),
  );
  const best = bestExplaining(groups.flatMap((i) => causeFor(cs, i, s)));
  if (best) return best.inc;
  // The host's own incident explains the symptom it has been showing and its escalations (criticals: the agent gave
  // up on the host's problem); another symptom waits out the hold like any other signal (a kernel's crash loop
  // starting on a host with a disk fault may yet join the kernel's group).
  return (
    openIncidents(cs).find(
      (i) => i.scope === 'host' && i.value === s.hostId && (i.signatures.includes(s.sig) || s.severity === 'critical'),
    ) ?? null
  );
}

/** Group `i` as a cause of signal `s`, as it stood when `s` came, or none when its onset of that symptom was over. */
export function causeFor(cs: CorrelatorState, i: Incident, s: Signal): (OpenCause & { inc: Incident })[] {
  const bySig = cs.joined.get(i.id);
  // Re-adopted from the store (restore): no onset history, the host's membership is all there is.
  if (!bySig) return [{ id: i.id, inc: i, holdsHost: i.hosts.includes(s.hostId), hazard: 0, rateWith: 0, score: 0 }];
  const joins = bySig.get(s.sig) ?? new Map<string, number>();
  const times = [...joins.values()].filter((t) => t <= s.ts);
  const fresh = times.filter((t) => t > s.ts - cs.o.attributionWindowMs).length;
  const holdsHost = !s.condition && joins.has(s.hostId);
  if (!holdsHost && onsetOver(times, s.ts, cs.o.minScore)) return [];
  return [
    {
      id: i.id,
      inc: i,
      holdsHost,
      hazard: onsetHazard(fresh, times.length - fresh, i.hint.fleetWithValue),
      rateWith: i.hint.affected / (i.hint.fleetWithValue || 1),
      score: i.hint.score,
    },
  ];
}
