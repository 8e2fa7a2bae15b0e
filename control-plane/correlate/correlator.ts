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
 * - Later signals join an open group incident whose attribute the host carries and whose symptom matches; when several
 *   match, the best-explaining one (the one the host is already in, else the one whose holders are being hit fastest
 *   now, else the highest failure rate); a new symptom forming a group on the same attribute joins the same incident.
 * - Signals that stay ungrouped for `holdMs` become a single-host incident when the host repeats one symptom
 *   ≥ `singleHostMinEvents` times (or reports a critical); isolated one-offs expire with the window (noise).
 * - Incidents resolve after `resolveAfterMs` without new signals. Silenced hosts' events are dropped (counted).
 * - Conditions (conditions.ts: `anomaly.started` … `anomaly.ended`) last: a started alert is enough for a single-host
 *   incident after the hold, keeps its incident open while on, and the incident resolves ("cleared") when every
 *   condition it holds has ended. An end is never a signal and is applied even on silenced hosts.
 */
import {
  beforeOnset,
  bestCause,
  bestExplaining,
  commonValues,
  onsetHazard,
  onsetOver,
  type OpenCause,
  type SearchContext,
} from './cause-search.ts';
import { lift } from './fisher.ts';
import { testValue } from './significance.ts';
import type { CorrelatorEvent, Incident, IncidentChange, RootCauseHint } from './incident.ts';
import { assigned } from './assign.ts';
import type { HostAttributes, Population } from './population.ts';
import { defaultIsSignal, defaultSignatureOf } from './signals.ts';
import {
  activeConditions,
  conditionChange,
  endCondition,
  holdCondition,
  resolutionOf,
  type ConditionChange,
} from './conditions.ts';

/** Correlator options; every field but `population` has a default. */
export interface CorrelatorOptions {
  population: Population;
  /** Grouping window (default 30 min). */
  windowMs?: number;
  /** Fewest hosts sharing the value (default 3). */
  minGroupHosts?: number;
  /** Least -log10 Fisher p-value of a group after the multiple-testing correction over (key, value) pairs
   * (significance.ts; default 5.5: symptoms are retested as signals arrive, so a single test's 1e-3 would fire on
   * noise; small fleets need a lower bar, e.g. 3 for 16 hosts). */
  minScore?: number;
  /** Least risk ratio (failure rate among hosts with the value / among hosts without it) of a group (default 3). */
  minRiskRatio?: number;
  /** Deprecated alias of `minRiskRatio` (the lift it replaces could not exceed 1 / the value's fleet share). */
  minLift?: number;
  holdMs?: number;
  /** Recent span over which open causes' onset rates are compared to attribute an event (default 5 min). */
  attributionWindowMs?: number;
  singleHostMinEvents?: number;
  resolveAfterMs?: number;
  /** Attribute keys never used as a cause (default: host, hostname, id). */
  ignoreKeys?: string[];
  isSignal?: (e: CorrelatorEvent) => boolean;
  signatureOf?: (e: CorrelatorEvent) => string;
  /** Returns a silence/maintenance id when the host is covered at `now`; its events are dropped. */
  isSuppressed?: (hostId: string, attrs: HostAttributes, now: number) => string | null;
  newId?: () => string;
}

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

interface Signal {
  hostId: string;
  ts: number;
  sig: string;
  severity: Incident['severity'];
  eventId: string;
  incidentId: string | null;
  /** The condition it started, while that is still on. */
  condition?: NonNullable<ConditionChange>;
}

const SEV = { info: 0, warning: 1, critical: 2 } as const;

/** Creates a correlator. */
export function createCorrelator(options: CorrelatorOptions): Correlator {
  const o = {
    windowMs: 30 * 60_000,
    minGroupHosts: 3,
    minScore: 5.5,
    holdMs: 3 * 60_000,
    attributionWindowMs: 5 * 60_000,
    singleHostMinEvents: 2,
    resolveAfterMs: 20 * 60_000,
    isSignal: defaultIsSignal,
    signatureOf: defaultSignatureOf,
    ...options,
  };
  const minRiskRatio = options.minRiskRatio ?? options.minLift ?? 3;
  const ignore = new Set(o.ignoreKeys ?? ['host', 'hostname', 'id']);
  let seq = 0;
  const newId = o.newId ?? (() => `inc-${++seq}`);
  const hostAttrs = new Map<string, HostAttributes>();
  const recent: Signal[] = [];
  const all = new Map<string, Incident>();
  /** Conditions on now (key → since). */
  const active = new Map<string, number>();
  const st = { events: 0, signals: 0, suppressed: 0, expiredNoise: 0 };
  let eventSeq = 0;

  const attrsOf = (h: string) => hostAttrs.get(h) ?? o.population.attributes(h) ?? {};
  const ctx: SearchContext = {
    population: o.population,
    attrsOf,
    ignore,
    thresholds: { minHosts: o.minGroupHosts, minScore: o.minScore, minRiskRatio },
  };
  /** Group size at the last re-check of its cause (recheckCause). */
  const rechecked = new Map<string, number>();
  /** Per group incident and symptom, when each host first joined with it (onset rates for attribution). */
  const joined = new Map<string, Map<string, Map<string, number>>>();
  const view = (i: Incident): Incident => structuredClone(i);
  const open = () => [...all.values()].filter((i) => i.status === 'open');

  function prune(now: number): void {
    let drop = 0;
    while (drop < recent.length && recent[drop]!.ts < now - o.windowMs) {
      if (recent[drop]!.incidentId === null) st.expiredNoise++;
      drop++;
    }
    if (drop) recent.splice(0, drop);
  }

  function hintFor(key: string, value: string, sigs: Set<string>, hosts: Set<string>): RootCauseHint {
    const symptomatic = new Set(recent.filter((r) => sigs.has(r.sig)).map((r) => r.hostId));
    for (const h of hosts) symptomatic.add(h);
    const n = symptomatic.size;
    const N = Math.max(o.population.size(), n);
    if (key === 'host') {
      return {
        key,
        value,
        affected: 1,
        symptomatic: n,
        fleetWithValue: 1,
        fleetSize: N,
        affectedShare: 1 / n,
        fleetShare: 1 / N,
        lift: lift(1, n, 1, N),
        score: 0,
        explanation: `Only host ${value} shows ${[...sigs].join(', ')}; no attribute it shares with other hosts is over-represented among affected hosts.`,
      };
    }
    const k = [...symptomatic].filter((h) => attrsOf(h)[key] === value).length;
    const t = testValue(k, n, o.population.count(key, value), N);
    const l = lift(k, n, t.K, N);
    const pct = (x: number) => `${Math.round(x * 100)}%`;
    return {
      key,
      value,
      affected: k,
      symptomatic: n,
      fleetWithValue: t.K,
      fleetSize: N,
      affectedShare: k / n,
      fleetShare: t.K / N,
      lift: l,
      score: t.score,
      rateWith: t.rateWith,
      rateWithout: t.rateWithout,
      riskRatio: t.riskRatio,
      explanation: `${k} of ${n} hosts showing ${[...sigs].join(', ')} have ${key}=${value} (${pct(k / n)}), against ${t.K} of ${N} hosts in the fleet (${pct(t.K / N)}): ${l.toFixed(1)}× over-represented; ${pct(t.rateWith)} of the hosts with it are affected against ${pct(t.rateWithout)} of those without (risk ratio ${t.riskRatio.toFixed(1)}), Fisher p ≈ 1e-${t.score.toFixed(1)}.`,
    };
  }

  function titleOf(i: Incident): string {
    return i.scope === 'host'
      ? `${i.signatures[0]} on host ${i.value}`
      : `${i.signatures.join(', ')} on ${i.hosts.length} host(s) with ${i.key}=${i.value}`;
  }

  function absorb(inc: Incident, sigs: Signal[], now: number): void {
    const hosts = new Set(inc.hosts);
    const signatures = new Set(inc.signatures);
    const bySig = joined.get(inc.id) ?? joined.set(inc.id, new Map()).get(inc.id)!;
    for (const s of sigs) {
      s.incidentId = inc.id;
      const joins = bySig.get(s.sig) ?? bySig.set(s.sig, new Map()).get(s.sig)!;
      if (!joins.has(s.hostId)) joins.set(s.hostId, s.ts);
      hosts.add(s.hostId);
      signatures.add(s.sig);
      inc.eventCount++;
      inc.eventIds.push(s.eventId);
      if (SEV[s.severity] > SEV[inc.severity]) inc.severity = s.severity;
      inc.firstEventAt = Math.min(inc.firstEventAt, s.ts);
      if (s.condition && active.has(s.condition.key)) holdCondition(inc, s.condition, s.ts);
      else inc.lastPointEventAt = now;
    }
    if (inc.eventIds.length > 500) inc.eventIds.splice(0, inc.eventIds.length - 500);
    inc.hosts = [...hosts].sort();
    inc.signatures = [...signatures].sort();
    inc.updatedAt = now;
    inc.lastEventAt = now;
    if (inc.scope === 'group') recheckCause(inc, signatures);
    inc.hint = hintFor(inc.key, inc.value, signatures, hosts);
    inc.title = titleOf(inc);
  }

  /** Hosts of open group incidents (other than `self`) holding any of `sigs`: explained by another cause. */
  function explainedHosts(sigs: ReadonlySet<string>, self: string | null): Set<string> {
    const out = new Set<string>();
    for (const i of open())
      if (i.scope === 'group' && i.id !== self && i.signatures.some((x) => sigs.has(x)))
        for (const h of i.hosts) out.add(h);
    return out;
  }

  /** Hosts showing any of `sigs` in the window that no other group incident explains, plus `extra`. */
  function symptomaticHosts(sigs: ReadonlySet<string>, extra: Iterable<string>, self: string): string[] {
    const other = (r: Signal) =>
      r.incidentId !== null && r.incidentId !== self && all.get(r.incidentId)?.scope === 'group';
    const set = new Set(recent.filter((r) => sigs.has(r.sig) && !other(r)).map((r) => r.hostId));
    for (const h of extra) set.add(h);
    return [...set];
  }

  /**
   * A group opens on the first few hosts, when an attribute that goes with the cause (a server model that mostly runs
   * the bad kernel) can still look as significant as the cause itself. Each time the group has doubled, the values
   * most of its hosts share are tested again and the group takes the best one (unless another open group holds it).
   */
  function recheckCause(inc: Incident, sigs: ReadonlySet<string>): void {
    const checked = rechecked.get(inc.id) ?? 0;
    if (inc.hosts.length < Math.max(2 * checked, o.minGroupHosts)) return;
    rechecked.set(inc.id, inc.hosts.length);
    const best = bestCause(
      commonValues(inc.hosts, ctx),
      symptomaticHosts(sigs, inc.hosts, inc.id),
      ctx,
      explainedHosts(sigs, inc.id),
    );
    if (!best || (best.key === inc.key && best.value === inc.value)) return;
    if (open().some((i) => i.scope === 'group' && i.key === best.key && i.value === best.value)) return;
    const current = testValue(
      inc.hosts.filter((h) => attrsOf(h)[inc.key] === inc.value).length,
      symptomaticHosts(sigs, inc.hosts, inc.id).length,
      o.population.count(inc.key, inc.value),
      o.population.size(),
    );
    if (best.test.score <= current.score) return;
    inc.key = best.key;
    inc.value = best.value;
  }

  function emptyHint(key: string, value: string): RootCauseHint {
    return {
      key,
      value,
      affected: 0,
      symptomatic: 0,
      fleetWithValue: 0,
      fleetSize: 0,
      affectedShare: 0,
      fleetShare: 0,
      lift: 0,
      score: 0,
      explanation: '',
    };
  }

  function openIncident(scope: Incident['scope'], key: string, value: string, sigs: Signal[], now: number): Incident {
    const inc: Incident = {
      id: newId(),
      status: 'open',
      scope,
      key,
      value,
      severity: 'info',
      hosts: [],
      signatures: [],
      eventCount: 0,
      eventIds: [],
      firstEventAt: Number.POSITIVE_INFINITY,
      openedAt: now,
      updatedAt: now,
      lastEventAt: now,
      resolvedAt: null,
      mergedInto: null,
      // Placeholder hint and title: absorb() below computes both from the signals.
      suppressed: false,
      hint: emptyHint(key, value),
      acknowledged: null,
      notes: [],
      title: '',
    };
    all.set(inc.id, inc);
    absorb(inc, sigs, now);
    return inc;
  }

  /**
   * The open cause an event belongs to. A host's repeated point event (a crash loop every few minutes) continues with
   * the cause its first one went to; an onset (a first event of this symptom, or a new alert) goes to the open cause
   * of its attributes and symptom whose holders are being hit now (bestExplaining), and to none whose onset of this
   * symptom is over (onsetOver): the event is then as likely the host's own fault as anyone's and waits for a group or
   * a host incident of its own.
   */
  function chooseIncident(s: Signal, attrs: HostAttributes): Incident | null {
    const groups = open().filter(
      (i) => i.scope === 'group' && attrs[i.key] === i.value && i.signatures.includes(s.sig),
    );
    const best = bestExplaining(groups.flatMap((i) => causeFor(i, s)));
    if (best) return best.inc;
    return open().find((i) => i.scope === 'host' && i.value === s.hostId) ?? null;
  }

  /** Group `i` as a cause of signal `s`, as it stood when `s` came, or none when its onset of that symptom was over. */
  function causeFor(i: Incident, s: Signal): (OpenCause & { inc: Incident })[] {
    const bySig = joined.get(i.id);
    // Re-adopted from the store (restore): no onset history, the host's membership is all there is.
    if (!bySig) return [{ id: i.id, inc: i, holdsHost: i.hosts.includes(s.hostId), hazard: 0, rateWith: 0, score: 0 }];
    const joins = bySig.get(s.sig) ?? new Map<string, number>();
    const times = [...joins.values()].filter((t) => t <= s.ts);
    const recent = times.filter((t) => t > s.ts - o.attributionWindowMs).length;
    const holdsHost = !s.condition && joins.has(s.hostId);
    if (!holdsHost && onsetOver(times, s.ts, o.minScore)) return [];
    return [
      {
        id: i.id,
        inc: i,
        holdsHost,
        hazard: onsetHazard(recent, times.length - recent, i.hint.fleetWithValue),
        rateWith: i.hint.affected / (i.hint.fleetWithValue || 1),
        score: i.hint.score,
      },
    ];
  }

  function tryGroup(s: Signal, attrs: HostAttributes, now: number): IncidentChange[] {
    const pool = recent.filter(
      (r) => r.sig === s.sig && (r.incidentId === null || all.get(r.incidentId)?.scope === 'host'),
    );
    const poolHosts = [...new Set(pool.map((r) => r.hostId))];
    const best = bestCause(Object.entries(attrs), poolHosts, ctx, explainedHosts(new Set([s.sig]), null));
    if (!best) return [];
    const { key, value } = best;
    const members = pool.filter((r) => attrsOf(r.hostId)[key] === value);
    const changes: IncidentChange[] = [];
    // Single-host incidents of this very symptom on matching hosts were early sightings of the group: fold them in.
    const folded = new Set<string>();
    const existing = open().find((i) => i.scope === 'group' && i.key === key && i.value === value);
    // The group's onset so far: its members (early sightings in host incidents too; each host's own left out when it
    // is weighed) and the hosts an open group on this value already holds.
    const onset = [
      ...members.map((r) => [r.hostId, r.ts] as const),
      ...(existing ? (joined.get(existing.id)?.get(s.sig) ?? []) : []),
    ];
    for (const r of members) {
      const hi = r.incidentId ? all.get(r.incidentId) : undefined;
      if (hi?.scope !== 'host' || hi.status !== 'open' || folded.has(hi.id)) continue;
      // Mostly this symptom (a stray one-off may have joined it): an early sighting of the group, unless it came
      // improbably long before the group's onset (the host's own fault, with a look-alike symptom).
      const same = recent.filter((x) => x.incidentId === hi.id && x.sig === s.sig);
      if (
        same.length * 2 >= hi.eventCount &&
        !beforeOnset(
          same[same.length - 1]!.ts,
          onset.filter(([h]) => h !== r.hostId).map(([, t]) => t),
          o.minScore,
        )
      )
        folded.add(hi.id);
    }
    const take = members.filter((r) => r.incidentId === null || folded.has(r.incidentId));
    if (existing) absorb(existing, take, now);
    const target = existing ?? openIncident('group', key, value, take, now);
    changes.push({ type: existing ? 'updated' : 'opened', incident: view(target) });
    for (const id of folded) {
      const hi = all.get(id)!;
      hi.status = 'merged';
      hi.mergedInto = target.id;
      hi.updatedAt = now;
      target.eventCount +=
        hi.eventCount - recent.filter((r) => r.incidentId === target.id && hi.eventIds.includes(r.eventId)).length;
      changes.push({ type: 'merged', incident: view(hi) });
    }
    return changes;
  }

  function promoteHosts(now: number): IncidentChange[] {
    const byHost = new Map<string, Signal[]>();
    for (const r of recent)
      if (r.incidentId === null) (byHost.get(r.hostId) ?? byHost.set(r.hostId, []).get(r.hostId)!).push(r);
    const changes: IncidentChange[] = [];
    for (const [hostId, sigs] of byHost) {
      if (now - sigs[0]!.ts < o.holdMs) continue;
      const perSig = new Map<string, number>();
      for (const x of sigs) perSig.set(x.sig, (perSig.get(x.sig) ?? 0) + 1);
      // A host fault repeats its symptom, or lasts (an alert still on); two unrelated one-offs on one host are noise.
      // (lasting: on for the whole hold, not a fresh alert after an unrelated blip that has ended)
      const lasting = sigs.some((x) => x.condition && active.has(x.condition.key) && now - x.ts >= o.holdMs);
      if (
        Math.max(...perSig.values()) < o.singleHostMinEvents &&
        !sigs.some((x) => x.severity === 'critical') &&
        !lasting
      )
        continue;
      const existing = open().find((i) => i.scope === 'host' && i.value === hostId);
      if (existing) {
        absorb(existing, sigs, now);
        changes.push({ type: 'updated', incident: view(existing) });
      } else changes.push({ type: 'opened', incident: view(openIncident('host', 'host', hostId, sigs, now)) });
    }
    return changes;
  }

  function resolveQuiet(now: number): IncidentChange[] {
    const changes: IncidentChange[] = [];
    for (const i of open()) {
      const r = resolutionOf(i, now, o.resolveAfterMs);
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
  function onEnd(key: string, ts: number, now: number): IncidentChange[] {
    active.delete(key);
    for (const r of recent) if (r.condition?.key === key) delete r.condition;
    const changes: IncidentChange[] = [];
    for (const i of open()) {
      if (!endCondition(i, key, ts)) continue;
      i.updatedAt = now;
      const r = resolutionOf(i, now, o.resolveAfterMs);
      if (r) {
        i.status = 'resolved';
        i.resolvedAt = now;
        i.resolution = { ...r, at: now };
        changes.push({ type: 'resolved', incident: view(i) });
      } else changes.push({ type: 'updated', incident: view(i) });
    }
    return changes;
  }

  return {
    ingest(event, attributes, now) {
      st.events++;
      hostAttrs.set(event.hostId, attributes);
      prune(now);
      const cc = conditionChange(event);
      if (cc?.kind === 'end') return onEnd(cc.key, event.ts, now);
      if (!o.isSignal(event)) return [];
      if (o.isSuppressed?.(event.hostId, attributes, now)) {
        st.suppressed++;
        return [];
      }
      st.signals++;
      const s: Signal = {
        hostId: event.hostId,
        ts: event.ts,
        sig: o.signatureOf(event),
        severity: event.severity,
        eventId: event.id ?? `e${++eventSeq}`,
        incidentId: null,
      };
      if (cc?.kind === 'start') {
        s.condition = cc;
        if (!active.has(cc.key)) active.set(cc.key, event.ts);
      }
      recent.push(s);
      if (recent.length > 1 && recent[recent.length - 2]!.ts > s.ts) recent.sort((a, b) => a.ts - b.ts);
      const inc = chooseIncident(s, attributes);
      if (inc) {
        absorb(inc, [s], now);
        return [{ type: 'updated', incident: view(inc) }];
      }
      const grouped = tryGroup(s, attributes, now);
      return grouped.length ? grouped : promoteHosts(now);
    },
    tick(now) {
      prune(now);
      return [...promoteHosts(now), ...resolveQuiet(now)];
    },
    acknowledge(id, by, now) {
      const i = all.get(id);
      if (!i) return [];
      i.acknowledged = { by, at: now };
      i.updatedAt = now;
      return [{ type: 'acknowledged', incident: view(i) }];
    },
    resolve(id, by, now) {
      const i = all.get(id);
      if (i?.status !== 'open') return [];
      i.status = 'resolved';
      i.resolvedAt = now;
      i.updatedAt = now;
      i.resolution = { reason: 'manual', at: now, text: `resolved by hand by ${by}`, by };
      i.notes.push({ by, at: now, text: 'resolved by hand' });
      for (const r of recent) if (r.incidentId === id) r.incidentId = `${id}:closed`;
      return [{ type: 'resolved', incident: view(i) }];
    },
    annotate(id, by, text, now) {
      const i = all.get(id);
      if (!i) return [];
      i.notes.push({ by, at: now, text });
      i.updatedAt = now;
      return [{ type: 'annotated', incident: view(i) }];
    },
    assign(id, assignee, by, now) {
      const i = all.get(id);
      if (!i) return [];
      Object.assign(i, assigned(i, assignee, by, now));
      return [{ type: 'annotated', incident: view(i) }];
    },
    restore(incidents, now) {
      // The store is authoritative: with replicas, another leader may have resolved, acknowledged or extended the
      // incidents this process held since it last looked, so its own open copies and alert states are dropped.
      for (const [id, i] of all) if (i.status === 'open') all.delete(id);
      active.clear();
      for (const i of incidents)
        if (i.status === 'open') {
          all.set(i.id, { ...structuredClone(i), lastEventAt: Math.max(i.lastEventAt, now - o.resolveAfterMs / 2) });
          // alerts it holds are still on: their `anomaly.ended` resolves it
          for (const c of activeConditions(i)) if (!active.has(c.key)) active.set(c.key, c.since);
        }
    },
    explains(hostId) {
      const i = open().find((x) => x.scope === 'group' && x.hosts.includes(hostId));
      return i ? view(i) : null;
    },
    incidents(filter) {
      return [...all.values()].filter((i) => !filter?.status || i.status === filter.status).map(view);
    },
    get(id) {
      const i = all.get(id);
      return i ? view(i) : undefined;
    },
    stats: () => ({ ...st, pending: recent.filter((r) => r.incidentId === null).length }),
  };
}
