/**
 * The fleet correlator: a pure, clock-injected engine grouping abnormal events from all agents into incidents.
 *
 * - Signals of the same symptom (signature) close in time (`windowMs`) are tested together: for each attribute value
 *   of the reporting host, the failure rate among fleet hosts with the value against those without it, among the hosts
 *   no open group explains yet (significance.ts, cause-search.ts: one-sided Fisher exact test, Tarone's correction over
 *   the fleet's testable (key, value) pairs, a risk-ratio floor). When at least `minGroupHosts` share a value that passes, a group incident
 *   keyed by that attribute opens (the most significant value wins; ties go to the rarer value) and absorbs the
 *   matching signals. Each time a group has doubled, its cause is tested again against the values most of its hosts
 *   share (a look-alike such as a server model that mostly runs the bad kernel gives way to the kernel).
 * - A group takes a matching host's single-host incident of its symptom as an early sighting only when that symptom
 *   falls within the group's onset (cause-search.ts beforeOnset), not when it came improbably long before it.
 * - Later signals join an open group incident whose attribute the host carries and whose symptom matches, unless its
 *   onset of that symptom is over for a host not yet in it (onsetOver, judged on the onset's current run so a blip
 *   long before it does not stretch it); when several match, the best-explaining one (the one the host is already in,
 *   else the one whose holders are being hit fastest now, else the highest failure rate). A host's repeat that
 *   outlasts the cause it is in (that cause stopped producing the symptom on its hosts no other match explains)
 *   continues with another match still producing it (attribution.ts). A new symptom forming a group on the same
 *   attribute joins the same incident. Else the host's own incident
 *   takes the signal at once only for the symptom it holds or a critical; any other waits out the hold.
 * - Signals that stay ungrouped for `holdMs` become a single-host incident when the host repeats one symptom
 *   ≥ `singleHostMinEvents` times (or reports a critical, or an alert stays on for the whole hold); isolated one-offs
 *   expire with the window (noise).
 * - Incidents resolve after `resolveAfterMs` without new signals. Silenced hosts' events are dropped (counted).
 * - Conditions (conditions.ts: `anomaly.started` … `anomaly.ended`) last: a started alert is enough for a single-host
 *   incident after the hold, keeps its incident open while on, and the incident resolves ("cleared") when every
 *   condition it holds has ended. An end is never a signal and is applied even on silenced hosts.
 *
 * - Later evidence moves a host's signals of a symptom to another open group (reattribution.ts): its repeat outlasted
 *   its cause (with its earlier signals, when its pace was one cause's), or, on each tick, in hindsight the other
 *   group's onset hazard when the host's episode began is twice its own (a kernel that opened first gives a rack's
 *   hosts back); both incidents note it.
 *
 * Parts: correlator-state.ts (options, window, incidents), attribution.ts (which open cause a signal joins),
 * grouping.ts (group and single-host incidents forming), incident-membership.ts (signals joining, hint, cause
 * re-check), incident-lifecycle.ts (resolution); this file is the public engine over them.
 */
import { chooseIncident } from './attribution.ts';
import { assigned } from './assign.ts';
import { activeConditions, conditionChange } from './conditions.ts';
import { type CorrelatorOptions, createState, openIncidents, prune, type Signal, view } from './correlator-state.ts';
import { promoteHosts, tryGroup } from './grouping.ts';
import type { CorrelatorEvent, Incident, IncidentChange } from './incident.ts';
import { onEnd, resolveQuiet } from './incident-lifecycle.ts';
import { absorb } from './incident-membership.ts';
import { outlastedMove, reattribute } from './reattribution.ts';
import type { HostAttributes } from './population.ts';

export type { CorrelatorOptions } from './correlator-state.ts';

/** The correlator engine. */
export interface Correlator {
  ingest(event: CorrelatorEvent, hostAttributes: HostAttributes, now: number): IncidentChange[];
  tick(now: number): IncidentChange[];
  acknowledge(id: string, by: string, now: number): IncidentChange[];
  /** Resolves an open incident by hand (its later signals open a new one). */
  resolve(id: string, by: string, now: number): IncidentChange[];
  annotate(id: string, by: string, text: string, now: number): IncidentChange[];
  /** Sets (a username) or clears (null) who handles the incident; noted in its timeline. */
  assign(id: string, assignee: string | null, by: string, now: number): IncidentChange[];
  /** Re-adopts open incidents persisted by a previous process or another replica, replacing this process's own open
   * copies: they take new signals again and resolve when quiet (their signal window starts empty). */
  restore(incidents: readonly Incident[], now: number): void;
  /** The open group incident explaining this host, if any (inhibits per-host notifications). */
  explains(hostId: string): Incident | null;
  incidents(filter?: { status?: Incident['status'] }): Incident[];
  get(id: string): Incident | undefined;
  stats(): { events: number; signals: number; suppressed: number; expiredNoise: number; pending: number };
}

/** Creates a correlator. */
export function createCorrelator(options: CorrelatorOptions): Correlator {
  const cs = createState(options);
  let eventSeq = 0;

  return {
    ingest(event, attributes, now) {
      cs.st.events++;
      cs.hostAttrs.set(event.hostId, attributes);
      prune(cs, now);
      const cc = conditionChange(event);
      if (cc?.kind === 'end') return onEnd(cs, cc.key, event.ts, now);
      if (!cs.o.isSignal(event)) return [];
      if (cs.o.isSuppressed?.(event.hostId, attributes, now)) {
        cs.st.suppressed++;
        return [];
      }
      cs.st.signals++;
      const s: Signal = {
        hostId: event.hostId,
        ts: event.ts,
        sig: cs.o.signatureOf(event),
        severity: event.severity,
        eventId: event.id ?? `e${++eventSeq}`,
        incidentId: null,
      };
      if (cc?.kind === 'start') {
        s.condition = cc;
        s.starts = true;
        if (!cs.active.has(cc.key)) cs.active.set(cc.key, event.ts);
      }
      cs.recent.push(s);
      if (cs.recent.length > 1 && cs.recent[cs.recent.length - 2]!.ts > s.ts) cs.recent.sort((a, b) => a.ts - b.ts);
      const { inc, outlived } = chooseIncident(cs, s, attributes);
      if (inc) {
        // A repeat that outlived its cause takes the host's earlier signals of the symptom along (reattribution.ts).
        const moved = outlived && inc.scope === 'group' ? outlastedMove(cs, outlived, inc, s.hostId, s.sig, now) : [];
        absorb(cs, inc, [s], now);
        return [...moved.filter((c) => c.incident.id !== inc.id), { type: 'updated', incident: view(inc) }];
      }
      const grouped = tryGroup(cs, s, attributes, now);
      return grouped.length ? grouped : promoteHosts(cs, now);
    },
    tick(now) {
      prune(cs, now);
      return [...promoteHosts(cs, now), ...reattribute(cs, now), ...resolveQuiet(cs, now)];
    },
    acknowledge(id, by, now) {
      const i = cs.all.get(id);
      if (!i) return [];
      i.acknowledged = { by, at: now };
      i.updatedAt = now;
      return [{ type: 'acknowledged', incident: view(i) }];
    },
    resolve(id, by, now) {
      const i = cs.all.get(id);
      if (i?.status !== 'open') return [];
      i.status = 'resolved';
      i.resolvedAt = now;
      i.updatedAt = now;
      i.resolution = { reason: 'manual', at: now, text: `resolved by hand by ${by}`, by };
      i.notes.push({ by, at: now, text: 'resolved by hand' });
      for (const r of cs.recent) if (r.incidentId === id) r.incidentId = `${id}:closed`;
      return [{ type: 'resolved', incident: view(i) }];
    },
    annotate(id, by, text, now) {
      const i = cs.all.get(id);
      if (!i) return [];
      i.notes.push({ by, at: now, text });
      i.updatedAt = now;
      return [{ type: 'annotated', incident: view(i) }];
    },
    assign(id, assignee, by, now) {
      const i = cs.all.get(id);
      if (!i) return [];
      Object.assign(i, assigned(i, assignee, by, now));
      return [{ type: 'annotated', incident: view(i) }];
    },
    restore(incidents, now) {
      // The store is authoritative: with replicas, another leader may have resolved, acknowledged or extended the
      // incidents this process held since it last looked, so its own open copies and alert states are dropped.
      for (const [id, i] of cs.all) if (i.status === 'open') cs.all.delete(id);
      cs.active.clear();
      for (const i of incidents)
        if (i.status === 'open') {
          cs.all.set(i.id, {
            ...structuredClone(i),
            lastEventAt: Math.max(i.lastEventAt, now - cs.o.resolveAfterMs / 2),
          });
          // alerts it holds are still on: their `anomaly.ended` resolves it
          for (const c of activeConditions(i)) if (!cs.active.has(c.key)) cs.active.set(c.key, c.since);
        }
    },
    explains(hostId) {
      const i = openIncidents(cs).find((x) => x.scope === 'group' && x.hosts.includes(hostId));
      return i ? view(i) : null;
    },
    incidents(filter) {
      return [...cs.all.values()].filter((i) => !filter?.status || i.status === filter.status).map(view);
    },
    get(id) {
      const i = cs.all.get(id);
      return i ? view(i) : undefined;
    },
    stats: () => ({ ...cs.st, pending: cs.recent.filter((r) => r.incidentId === null).length }),
  };
}
