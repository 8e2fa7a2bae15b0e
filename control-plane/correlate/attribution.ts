/**
 * Attribution: which open cause a new signal belongs to (cause-search.ts bestExplaining on each candidate's onset
 * rate as it stood when the signal came), or the host's own incident, or none yet.
 */
import { bestExplaining, onsetHazard, onsetOver, type OpenCause } from './cause-search.ts';
import { type CorrelatorState, openIncidents, type Signal } from './correlator-state.ts';
import type { Incident } from './incident.ts';
import type { HostAttributes } from './population.ts';
import { excludedKey } from './reattribution.ts';

/**
 * The open cause an event belongs to. A host's repeated point event (a crash loop every few minutes) continues with
 * the cause its first one went to while that cause still produces the symptom on its other hosts; an onset (a first
 * event of this symptom, or a new alert) goes to the open cause of its attributes and symptom whose holders are being
 * hit now (bestExplaining), and to none whose onset of this symptom is over (onsetOver): the event is then as likely
 * the host's own fault as anyone's and waits for a group or a host incident of its own. A repeat that outlasts its
 * cause (the switch's crash loops stopped everywhere else minutes ago) was never that cause's: it continues with
 * another open cause of the host's attributes that still produces the symptom (a BIOS whose hosts still crash); the
 * cause it outlived is returned as `outlived` (its earlier signals move too, reattribution.ts outlastedMove).
 */
export function chooseIncident(
  cs: CorrelatorState,
  s: Signal,
  attrs: HostAttributes,
): { inc: Incident | null; outlived: Incident | null } {
  const groups = openIncidents(cs).filter(
    (i) =>
      i.scope === 'group' &&
      attrs[i.key] === i.value &&
      i.signatures.includes(s.sig) &&
      !cs.excluded.has(excludedKey(i.id, s.hostId, s.sig)),
  );
  const outlived = groups.find((i) => holdsHost(cs, i, s) && outlasted(cs, i, groups, s)) ?? null;
  const best = bestExplaining(groups.flatMap((i) => (i === outlived ? [] : causeFor(cs, i, s, !!outlived))));
  if (best) return { inc: best.inc, outlived };
  // The host's own incident explains the symptom it has been showing and its escalations (criticals: the agent gave
  // up on the host's problem); another symptom waits out the hold like any other signal (a kernel's crash loop
  // starting on a host with a disk fault may yet join the kernel's group).
  const own = openIncidents(cs).find(
    (i) => i.scope === 'host' && i.value === s.hostId && (i.signatures.includes(s.sig) || s.severity === 'critical'),
  );
  return { inc: own ?? null, outlived: null };
}

/** The host's earlier point signals of this symptom went to group `i` (an alert start is always a new onset). */
function holdsHost(cs: CorrelatorState, i: Incident, s: Signal): boolean {
  return !s.condition && !!cs.joined.get(i.id)?.get(s.sig)?.has(s.hostId);
}

/** When group `i`'s other hosts (but those `skip` says) reported symptom `s.sig` in the window, up to `s`. */
function reportTimes(cs: CorrelatorState, i: Incident, s: Signal, skip = (_h: string) => false): number[] {
  return cs.recent
    .filter((r) => r.incidentId === i.id && r.sig === s.sig && r.hostId !== s.hostId && r.ts <= s.ts && !skip(r.hostId))
    .map((r) => r.ts);
}

/**
 * Whether group `i` has stopped producing symptom `s.sig` on its other hosts: the silence since the last of their
 * reports in the window is as improbable under their pace as the evidence a cause needs (onsetOver on report times).
 * With fewer than two such reports there is no pace to judge by: not stopped.
 */
function stopped(cs: CorrelatorState, i: Incident, s: Signal, skip?: (h: string) => boolean): boolean {
  const times = reportTimes(cs, i, s, skip);
  return times.length >= 2 && onsetOver(times, s.ts, cs.o.minScore);
}

/**
 * Whether the host's repeat outlasted group `i`, the cause it is in, while another of `groups` could continue it:
 * `i` stopped producing the symptom on its hosts that no other of them explains (its hosts that also hold the other
 * cause's value may well be repeating for that cause).
 */
function outlasted(cs: CorrelatorState, i: Incident, groups: readonly Incident[], s: Signal): boolean {
  const others = groups.filter((g) => g !== i);
  if (others.length === 0) return false;
  return stopped(cs, i, s, (h) => others.some((g) => cs.attrsOf(h)[g.key] === g.value));
}

/**
 * Group `i` as a cause of signal `s`, as it stood when `s` came, or none when its onset of that symptom was over (and
 * the host not in it) or it stopped producing the symptom. With `outlived` (the host's repeat outlasted the cause it
 * was in), a group still producing the symptom takes it whatever its onset.
 */
export function causeFor(
  cs: CorrelatorState,
  i: Incident,
  s: Signal,
  outlived = false,
): (OpenCause & { inc: Incident })[] {
  const bySig = cs.joined.get(i.id);
  // Re-adopted from the store (restore): no onset history, the host's membership is all there is.
  if (!bySig) return [{ id: i.id, inc: i, holdsHost: i.hosts.includes(s.hostId), hazard: 0, rateWith: 0, score: 0 }];
  const joins = bySig.get(s.sig) ?? new Map<string, number>();
  // the other hosts' joins: the host's own earlier blip of the symptom says nothing about the cause hitting hosts now
  const times = [...joins].filter(([h, t]) => h !== s.hostId && t <= s.ts).map(([, t]) => t);
  const holds = holdsHost(cs, i, s);
  if (outlived) {
    // a continuing repeat: the cause must still be producing the symptom, its onset may be long over
    if (reportTimes(cs, i, s).length < 2 ? onsetOver(times, s.ts, cs.o.minScore) : stopped(cs, i, s)) return [];
  } else if (!holds && onsetOver(times, s.ts, cs.o.minScore)) return [];
  return [
    {
      id: i.id,
      inc: i,
      holdsHost: holds && !outlived,
      hazard: onsetHazard(times, s.ts, i.hint.fleetWithValue, cs.o.minScore, cs.o.attributionWindowMs),
      rateWith: i.hint.affected / (i.hint.fleetWithValue || 1),
      score: i.hint.score,
    },
  ];
}
