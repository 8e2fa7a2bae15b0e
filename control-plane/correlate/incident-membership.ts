/**
 * Incident membership: signals joining an incident (absorb), a group incident opening on its first signals, its cause
 * re-checked as it grows, and the root-cause hint and title recomputed from the signals it holds.
 */
import { bestCause, commonValues } from './cause-search.ts';
import { holdCondition } from './conditions.ts';
import {
  type CorrelatorState,
  explainedHosts,
  memberKey,
  openIncidents,
  SEV,
  type Signal,
  symptomaticHosts,
} from './correlator-state.ts';
import { lift } from './fisher.ts';
import type { Incident, RootCauseHint } from './incident.ts';
import { testValue } from './significance.ts';

/** The root-cause hint of an incident keyed by (key, value) holding symptoms `sigs` on `hosts`. */
export function hintFor(
  cs: CorrelatorState,
  key: string,
  value: string,
  sigs: Set<string>,
  hosts: Set<string>,
): RootCauseHint {
  const symptomatic = new Set(cs.recent.filter((r) => sigs.has(r.sig)).map((r) => r.hostId));
  for (const h of hosts) symptomatic.add(h);
  const n = symptomatic.size;
  const N = Math.max(cs.o.population.size(), n);
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
  const k = [...symptomatic].filter((h) => cs.attrsOf(h)[key] === value).length;
  const t = testValue(k, n, cs.o.population.count(key, value), N);
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

/** An incident's title. */
export function titleOf(i: Incident): string {
  return i.scope === 'host'
    ? `${i.signatures[0]} on host ${i.value}`
    : `${i.signatures.join(', ')} on ${i.hosts.length} host(s) with ${i.key}=${i.value}`;
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

/** Adds signals to an incident: its hosts, symptoms, severity, alerts held, onset history, hint and title. */
export function absorb(cs: CorrelatorState, inc: Incident, sigs: Signal[], now: number): void {
  const hosts = new Set(inc.hosts);
  const signatures = new Set(inc.signatures);
  const bySig = cs.joined.get(inc.id) ?? cs.joined.set(inc.id, new Map()).get(inc.id)!;
  const members =
    inc.scope === 'group' ? (cs.members.get(inc.id) ?? cs.members.set(inc.id, new Map()).get(inc.id)!) : null;
  for (const s of sigs) {
    s.incidentId = inc.id;
    const joins = bySig.get(s.sig) ?? bySig.set(s.sig, new Map()).get(s.sig)!;
    if (!joins.has(s.hostId)) joins.set(s.hostId, s.ts);
    if (members) {
      const k = memberKey(s.hostId, s.sig);
      const m = members.get(k) ?? members.set(k, { events: [], count: 0 }).get(k)!;
      m.count++;
      m.events.push({ id: s.eventId, ts: s.ts, severity: s.severity, ...(s.starts ? { starts: true } : {}) });
      if (m.events.length > 200) m.events.shift();
    }
    hosts.add(s.hostId);
    signatures.add(s.sig);
    inc.eventCount++;
    inc.eventIds.push(s.eventId);
    if (SEV[s.severity] > SEV[inc.severity]) inc.severity = s.severity;
    inc.firstEventAt = Math.min(inc.firstEventAt, s.ts);
    if (s.condition && cs.active.has(s.condition.key)) holdCondition(inc, s.condition, s.ts);
    else inc.lastPointEventAt = now;
  }
  if (inc.eventIds.length > 500) inc.eventIds.splice(0, inc.eventIds.length - 500);
  inc.hosts = [...hosts].sort();
  inc.signatures = [...signatures].sort();
  inc.updatedAt = now;
  inc.lastEventAt = now;
  if (inc.scope === 'group') recheckCause(cs, inc, signatures);
  inc.hint = hintFor(cs, inc.key, inc.value, signatures, hosts);
  inc.title = titleOf(inc);
}

/**
 * A group opens on the first few hosts, when an attribute that goes with the cause (a server model that mostly runs
 * the bad kernel) can still look as significant as the cause itself. Each time the group has doubled, the values
 * most of its hosts share are tested again and the group takes the best one (unless another open group holds it).
 */
export function recheckCause(cs: CorrelatorState, inc: Incident, sigs: ReadonlySet<string>): void {
  const checked = cs.rechecked.get(inc.id) ?? 0;
  if (inc.hosts.length < Math.max(2 * checked, cs.o.minGroupHosts)) return;
  cs.rechecked.set(inc.id, inc.hosts.length);
  const best = bestCause(
    commonValues(inc.hosts, cs.ctx),
    symptomaticHosts(cs, sigs, inc.hosts, inc.id),
    cs.ctx,
    explainedHosts(cs, sigs, inc.id),
  );
  if (!best || (best.key === inc.key && best.value === inc.value)) return;
  if (openIncidents(cs).some((i) => i.scope === 'group' && i.key === best.key && i.value === best.value)) return;
  const current = testValue(
    inc.hosts.filter((h) => cs.attrsOf(h)[inc.key] === inc.value).length,
    symptomaticHosts(cs, sigs, inc.hosts, inc.id).length,
    cs.o.population.count(inc.key, inc.value),
    cs.o.population.size(),
  );
  if (best.test.score <= current.score) return;
  inc.key = best.key;
  inc.value = best.value;
}

/** Opens an incident on its first signals. */
export function openIncident(
  cs: CorrelatorState,
  scope: Incident['scope'],
  key: string,
  value: string,
  sigs: Signal[],
  now: number,
): Incident {
  const inc: Incident = {
    id: cs.newId(),
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
  cs.all.set(inc.id, inc);
  absorb(cs, inc, sigs, now);
  return inc;
}
