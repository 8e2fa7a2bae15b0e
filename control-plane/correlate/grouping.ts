/**
 * Grouping: a pending signal's symptom tested for a shared cause among the window's symptomatic hosts (a group
 * incident opens or grows, folding in host incidents that were its early sightings), and hosts whose pending signals
 * repeat or last promoted to single-host incidents after the hold.
 */
import { beforeOnset, bestCause } from './cause-search.ts';
import { type CorrelatorState, explainedHosts, openIncidents, type Signal, view } from './correlator-state.ts';
import type { IncidentChange } from './incident.ts';
import { absorb, openIncident } from './incident-membership.ts';
import type { HostAttributes } from './population.ts';

/** Tests the symptom of pending signal `s` for a group cause; the incident changes (none when no value passes). */
export function tryGroup(cs: CorrelatorState, s: Signal, attrs: HostAttributes, now: number): IncidentChange[] {
  const pool = cs.recent.filter(
    (r) => r.sig === s.sig && (r.incidentId === null || cs.all.get(r.incidentId)?.scope === 'host'),
  );
  const poolHosts = [...new Set(pool.map((r) => r.hostId))];
  const best = bestCause(Object.entries(attrs), poolHosts, cs.ctx, explainedHosts(cs, new Set([s.sig]), null));
  if (!best) return [];
  const { key, value } = best;
  const members = pool.filter((r) => cs.attrsOf(r.hostId)[key] === value);
  const changes: IncidentChange[] = [];
  // Single-host incidents of this very symptom on matching hosts were early sightings of the group: fold them in.
  const folded = new Set<string>();
  const existing = openIncidents(cs).find((i) => i.scope === 'group' && i.key === key && i.value === value);
  // The group's onset so far: its members (early sightings in host incidents too; each host's own left out when it
  // is weighed) and the hosts an open group on this value already holds.
  const onset = [
    ...members.map((r) => [r.hostId, r.ts] as const),
    ...(existing ? (cs.joined.get(existing.id)?.get(s.sig) ?? []) : []),
  ];
  for (const r of members) {
    const hi = r.incidentId ? cs.all.get(r.incidentId) : undefined;
    if (hi?.scope !== 'host' || hi.status !== 'open' || folded.has(hi.id)) continue;
    // Mostly this symptom (a stray one-off may have joined it): an early sighting of the group, unless it came
    // improbably long before the group's onset (the host's own fault, with a look-alike symptom).
    const same = cs.recent.filter((x) => x.incidentId === hi.id && x.sig === s.sig);
    if (
      same.length * 2 >= hi.eventCount &&
      !beforeOnset(
        same[same.length - 1]!.ts,
        onset.filter(([h]) => h !== r.hostId).map(([, t]) => t),
        cs.o.minScore,
      )
    )
      folded.add(hi.id);
  }
  const take = members.filter((r) => r.incidentId === null || folded.has(r.incidentId));
  if (existing) absorb(cs, existing, take, now);
  const target = existing ?? openIncident(cs, 'group', key, value, take, now);
  changes.push({ type: existing ? 'updated' : 'opened', incident: view(target) });
  for (const id of folded) {
    const hi = cs.all.get(id)!;
    hi.status = 'merged';
    hi.mergedInto = target.id;
    hi.updatedAt = now;
    target.eventCount +=
      hi.eventCount - cs.recent.filter((r) => r.incidentId === target.id && hi.eventIds.includes(r.eventId)).length;
    changes.push({ type: 'merged', incident: view(hi) });
  }
  return changes;
}

/** Pending signals that waited out the hold become (or join) their host's incident when they repeat or last. */
export function promoteHosts(cs: CorrelatorState, now: number): IncidentChange[] {
  const byHost = new Map<string, Signal[]>();
  for (const r of cs.recent)
    if (r.incidentId === null) (byHost.get(r.hostId) ?? byHost.set(r.hostId, []).get(r.hostId)!).push(r);
  const changes: IncidentChange[] = [];
  for (const [hostId, sigs] of byHost) {
    if (now - sigs[0]!.ts < cs.o.holdMs) continue;
    const perSig = new Map<string, number>();
    for (const x of sigs) perSig.set(x.sig, (perSig.get(x.sig) ?? 0) + 1);
    // A host fault repeats its symptom, or lasts (an alert still on); two unrelated one-offs on one host are noise.
    // (lasting: on for the whole hold, not a fresh alert after an unrelated blip that has ended)
    const lasting = sigs.some((x) => x.condition && cs.active.has(x.condition.key) && now - x.ts >= cs.o.holdMs);
    if (
      Math.max(...perSig.values()) < cs.o.singleHostMinEvents &&
      !sigs.some((x) => x.severity === 'critical') &&
      !lasting
    )
      continue;
    const existing = openIncidents(cs).find((i) => i.scope === 'host' && i.value === hostId);
    if (existing) {
      absorb(cs, existing, sigs, now);
      changes.push({ type: 'updated', incident: view(existing) });
    } else changes.push({ type: 'opened', incident: view(openIncident(cs, 'host', 'host', hostId, sigs, now)) });
  }
  return changes;
}
