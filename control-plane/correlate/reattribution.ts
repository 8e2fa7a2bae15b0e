/**
 * Re-attribution: moving a host's signals of one symptom from the open group incident it went to onto another open
 * group that explains them better, once the evidence says so. An event is attributed when it comes (attribution.ts),
 * on what is known then; two things are only known later:
 * - the host's repeat outlasted its cause (attribution.ts `outlasted`): its crash loop went on after the switch's other
 *   hosts stopped, so it was the BIOS's all along, from the BIOS's onset on (`moveHost` from ingest);
 * - a more specific cause opened after the host went to a common one (the kernel on half the fleet opened first and
 *   took the temperature alerts of a rack's hosts that run it): in hindsight, each contested host goes to the cause
 *   whose unaffected holders were being hit fastest when it joined (`reattribute`, on every tick).
 * Each move is noted on both incidents (by `correlator`).
 */
import { beforeOnset, onsetDensity, onsetRuns } from './cause-search.ts';
import { type CorrelatorState, memberKey, openIncidents, SEV, view } from './correlator-state.ts';
import type { Incident, IncidentChange } from './incident.ts';
import { hintFor, titleOf } from './incident-membership.ts';

/** How many times likelier the other cause must be before a host moves (hindsight estimates are noisy). */
const MOVE_ODDS = 2;

/** Key of an outlasted (incident, host, symptom) in `CorrelatorState.excluded`. */
export const excludedKey = (incidentId: string, hostId: string, sig: string): string =>
  `${incidentId}\0${hostId}\0${sig}`;

/**
 * Moves host `hostId`'s signals of symptom `sig` from group `from` to group `to` (those at or after `since`): event ids
 * and counts, onset history, alerts held, hosts and symptoms of both, hints and titles. A group left without hosts is
 * merged into `to`. Returns how many signals moved (0 when `from` holds none: an incident re-adopted from the store).
 */
export function moveHost(
  cs: CorrelatorState,
  from: Incident,
  to: Incident,
  hostId: string,
  sig: string,
  since: number,
  now: number,
): number {
  const fm = cs.members.get(from.id);
  const k = memberKey(hostId, sig);
  const hs = fm?.get(k);
  if (!fm || !hs) return 0;
  const moving = hs.events.filter((e) => e.ts >= since);
  if (moving.length === 0) return 0;
  const whole = moving.length === hs.events.length;
  const count = whole ? hs.count : moving.length;
  const ids = new Set(moving.map((e) => e.id));
  const first = moving[0]!.ts;

  // from: the signals, the host's join of the symptom (kept from the earliest that stays), the host, its symptoms
  if (whole) fm.delete(k);
  else {
    hs.events = hs.events.filter((e) => e.ts < since);
    hs.count -= count;
  }
  from.eventIds = from.eventIds.filter((id) => !ids.has(id));
  from.eventCount = Math.max(0, from.eventCount - count);
  if (whole) cs.joined.get(from.id)?.get(sig)?.delete(hostId);
  const stays = [...fm.keys()].map((x) => x.split('\0') as [string, string]);
  if (!stays.some(([h]) => h === hostId)) from.hosts = from.hosts.filter((h) => h !== hostId);
  const sigsLeft = new Set(stays.map(([, s]) => s));
  from.signatures = from.signatures.filter((s) => sigsLeft.has(s));

  // to
  const tm = cs.members.get(to.id) ?? cs.members.set(to.id, new Map()).get(to.id)!;
  const th = tm.get(k) ?? tm.set(k, { events: [], count: 0 }).get(k)!;
  th.events = [...th.events, ...moving].sort((a, b) => a.ts - b.ts).slice(-200);
  th.count += count;
  to.eventIds.push(...moving.map((e) => e.id));
  if (to.eventIds.length > 500) to.eventIds.splice(0, to.eventIds.length - 500);
  to.eventCount += count;
  const bySig = cs.joined.get(to.id) ?? cs.joined.set(to.id, new Map()).get(to.id)!;
  const joins = bySig.get(sig) ?? bySig.set(sig, new Map()).get(sig)!;
  if ((joins.get(hostId) ?? Number.POSITIVE_INFINITY) > first) joins.set(hostId, first);
  if (!to.hosts.includes(hostId)) to.hosts = [...to.hosts, hostId].sort();
  if (!to.signatures.includes(sig)) to.signatures = [...to.signatures, sig].sort();
  to.firstEventAt = Math.min(to.firstEventAt, first);
  for (const e of moving) if (SEV[e.severity] > SEV[to.severity]) to.severity = e.severity;

  // signals of the window, and the host's alert when one of the moved signals started it
  for (const r of cs.recent)
    if (r.incidentId === from.id && r.hostId === hostId && r.sig === sig && r.ts >= since) r.incidentId = to.id;
  const cond = from.conditions?.find((c) => c.hostId === hostId && moving.some((e) => e.ts === c.since));
  if (cond) {
    from.conditions = from.conditions!.filter((c) => c !== cond);
    (to.conditions ??= []).push(cond);
  }

  for (const i of [from, to]) {
    i.updatedAt = now;
    if (i.hosts.length) i.hint = hintFor(cs, i.key, i.value, new Set(i.signatures), new Set(i.hosts));
    i.title = titleOf(i);
  }
  if (from.hosts.length === 0) {
    from.status = 'merged';
    from.mergedInto = to.id;
  }
  return count;
}

/** Notes a move of `hosts` (symptom `sig`) from `from` to `to` on both incidents. */
export function noteMove(
  from: Incident,
  to: Incident,
  hosts: readonly string[],
  sig: string,
  why: string,
  now: number,
): void {
  const who = hosts.length === 1 ? `host ${hosts[0]}` : `${hosts.length} hosts (${hosts.join(', ')})`;
  from.notes.push({
    by: 'correlator',
    at: now,
    text: `${who}: ${sig} moved to ${to.id} (${to.key}=${to.value}): ${why}`,
  });
  to.notes.push({
    by: 'correlator',
    at: now,
    text: `${who}: ${sig} moved here from ${from.id} (${from.key}=${from.value}): ${why}`,
  });
}

/**
 * The host's repeat of `sig` outlasted group `from` and continues with group `to`: its signals since `to`'s onset of
 * the symptom began (beforeOnset: a crash loop of its own long before the BIOS's onset stays where it was) move to
 * `to`, and `from` never takes the host's symptom back. Returns the changes (none when nothing moved).
 */
export function outlastedMove(
  cs: CorrelatorState,
  from: Incident,
  to: Incident,
  hostId: string,
  sig: string,
  now: number,
): IncidentChange[] {
  cs.excluded.add(excludedKey(from.id, hostId, sig));
  const events = cs.members.get(from.id)?.get(memberKey(hostId, sig))?.events ?? [];
  if (!oneCause(cs, from, to, hostId, sig, events)) return [];
  const onset = [...(cs.joined.get(to.id)?.get(sig) ?? new Map<string, number>())]
    .filter(([h]) => h !== hostId)
    .map(([, t]) => t);
  const since = events.find((e) => !beforeOnset(e.ts, onset, cs.o.minScore))?.ts;
  if (since === undefined || !moveHost(cs, from, to, hostId, sig, since, now)) return [];
  noteMove(
    from,
    to,
    [hostId],
    sig,
    `it went on after ${from.key}=${from.value} stopped producing it on its other hosts`,
    now,
  );
  return changesOf(from, to);
}

/**
 * Whether the host's repeats in group `from` came at the pace of one process (`to`'s alone) rather than of both causes
 * at once (a host with the switch and the BIOS that both crash-looped it repeats twice as often): the likelier of the
 * two Poisson rates for its gaps, each cause's pace being the median per-host pace of its hosts that hold not the other
 * value. Only then were its earlier signals `to`'s; with no pace to judge by, they stay.
 */
function oneCause(
  cs: CorrelatorState,
  from: Incident,
  to: Incident,
  hostId: string,
  sig: string,
  events: readonly { ts: number }[],
): boolean {
  if (events.length < 2) return events.length === 1;
  const rTo = pace(cs, to, from, sig, hostId);
  const rFrom = pace(cs, from, to, sig, hostId);
  if (rTo === null || rFrom === null) return false;
  const gaps = events.length - 1;
  const span = Math.max(1, events[events.length - 1]!.ts - events[0]!.ts);
  const logL = (r: number) => gaps * Math.log(r) - r * span;
  return logL(rTo) >= logL(rTo + rFrom);
}

/** Median pace (repeats per ms) of symptom `sig` on group `c`'s hosts (but `hostId` and holders of `other`'s value)
 * that repeated it at least twice; null with fewer than `minGroupHosts` such hosts. */
function pace(cs: CorrelatorState, c: Incident, other: Incident, sig: string, hostId: string): number | null {
  const rates: number[] = [];
  for (const [k, m] of cs.members.get(c.id) ?? []) {
    const [h, s] = k.split('\0') as [string, string];
    if (s !== sig || h === hostId || m.events.length < 3 || cs.attrsOf(h)[other.key] === other.value) continue;
    rates.push((m.events.length - 1) / Math.max(1, m.events[m.events.length - 1]!.ts - m.events[0]!.ts));
  }
  if (rates.length < cs.o.minGroupHosts) return null;
  rates.sort((a, b) => a - b);
  return rates[rates.length >> 1]!;
}

function changesOf(from: Incident, to: Incident): IncidentChange[] {
  return [
    { type: from.status === 'merged' ? 'merged' : 'updated', incident: view(from) },
    { type: 'updated', incident: view(to) },
  ];
}

/**
 * Onset hazard of group `c`'s symptom `sig` at `t`, in hindsight, for host `hostId`: the rate its hosts joined around
 * `t` (their number times the density of their onset there, onsetDensity, judged on the hosts holding none of `rivals`'
 * values so the contest does not decide itself) over its holders not hit before `t`. Null when fewer than
 * `minGroupHosts` such hosts joined (no onset to judge by).
 */
function hazardAt(
  cs: CorrelatorState,
  c: Incident,
  rivals: readonly Incident[],
  sig: string,
  hostId: string,
  t: number,
): number | null {
  const joins = [...(cs.joined.get(c.id)?.get(sig) ?? new Map<string, number>())].filter(([h]) => h !== hostId);
  const clean = joins
    .filter(([h]) => rivals.every((d) => d === c || cs.attrsOf(h)[d.key] !== d.value))
    .map(([, ts]) => ts);
  if (clean.length < cs.o.minGroupHosts) return null;
  const rate = joins.length * onsetDensity(clean, t, cs.o.minScore);
  const before = joins.filter(([, ts]) => ts < t).length;
  return rate / Math.max(1, cs.o.population.count(c.key, c.value) - before);
}

/**
 * When the host's latest episode of symptom `sig` in group `g` began: its latest alert start, or the first of its
 * latest run of repeats (onsetRuns on its own report times); a blip of the symptom before it is not the episode.
 */
function episodeStart(cs: CorrelatorState, g: Incident, hostId: string, sig: string): number {
  const events = cs.members.get(g.id)?.get(memberKey(hostId, sig))?.events ?? [];
  const lastStart = events.findLast((e) => e.starts);
  const after = events.filter((e) => !lastStart || e.ts > lastStart.ts).map((e) => e.ts);
  if (after.length === 0) return lastStart?.ts ?? cs.joined.get(g.id)?.get(sig)?.get(hostId) ?? 0;
  const runs = onsetRuns(after, cs.o.minScore);
  return lastStart && runs.length === 1 ? lastStart.ts : runs[runs.length - 1]![0];
}

/**
 * Hindsight re-attribution over the open group incidents: a host holding another open group's value, with a symptom
 * that group shows too, moves there when that group's onset hazard at the host's join (hazardAt) is MOVE_ODDS times
 * its current group's: a rack's hosts that a kernel's group took before the rack's opened move to the rack. A host
 * whose repeat outlasted a cause is never moved back to it. Returns the changes.
 */
export function reattribute(cs: CorrelatorState, now: number): IncidentChange[] {
  const groups = openIncidents(cs).filter((i) => i.scope === 'group' && cs.members.has(i.id));
  if (groups.length < 2) return [];
  const moved = new Map<string, { from: Incident; to: Incident; sig: string; hosts: string[] }>();
  for (const g of groups) {
    if (g.status !== 'open') continue;
    for (const [sig, joins] of cs.joined.get(g.id) ?? []) {
      const rivals = groups.filter((d) => d !== g && d.status === 'open' && (cs.joined.get(d.id)?.get(sig)?.size ?? 0));
      if (rivals.length === 0) continue;
      for (const hostId of [...joins.keys()]) {
        const t = episodeStart(cs, g, hostId, sig);
        const attrs = cs.attrsOf(hostId);
        const cands = rivals.filter(
          (d) => attrs[d.key] === d.value && !cs.excluded.has(excludedKey(d.id, hostId, sig)),
        );
        if (cands.length === 0 || cs.excluded.has(excludedKey(g.id, hostId, sig))) continue;
        const contest = [g, ...cands];
        const here = hazardAt(cs, g, contest, sig, hostId, t);
        if (here === null) continue;
        let best: { d: Incident; h: number } | null = null;
        for (const d of cands) {
          const h = hazardAt(cs, d, contest, sig, hostId, t);
          if (h !== null && h > MOVE_ODDS * here && (!best || h > best.h)) best = { d, h };
        }
        if (!best || !moveHost(cs, g, best.d, hostId, sig, t, now)) continue;
        const k = `${g.id}\0${best.d.id}\0${sig}`;
        const m = moved.get(k) ?? moved.set(k, { from: g, to: best.d, sig, hosts: [] }).get(k)!;
        m.hosts.push(hostId);
      }
    }
  }
  const changes = new Map<string, IncidentChange>();
  for (const { from, to, sig, hosts } of moved.values()) {
    noteMove(
      from,
      to,
      hosts,
      sig,
      `in hindsight, ${to.key}=${to.value}'s hosts were being hit faster than ${from.key}=${from.value}'s when ${hosts.length === 1 ? 'it' : 'they'} joined`,
      now,
    );
    for (const c of changesOf(from, to)) changes.set(c.incident.id, c);
  }
  return [...changes.values()];
}
