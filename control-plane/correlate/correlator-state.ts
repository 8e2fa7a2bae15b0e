/**
 * The correlator's working state (correlator.ts): its resolved options, the signals of the grouping window, every
 * incident it made, the alerts on now and each group's onset history. Shared by the parts of the engine
 * (incident-membership.ts, attribution.ts, grouping.ts, incident-lifecycle.ts); pure data and small queries.
 */
import type { SearchContext } from './cause-search.ts';
import type { ConditionChange } from './conditions.ts';
import type { CorrelatorEvent, Incident } from './incident.ts';
import type { HostAttributes, Population } from './population.ts';
import { defaultIsSignal, defaultSignatureOf } from './signals.ts';

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

/** One signal of the grouping window and the incident it went to (null: pending). */
export interface Signal {
  hostId: string;
  ts: number;
  sig: string;
  severity: Incident['severity'];
  eventId: string;
  incidentId: string | null;
  /** The condition it started, while that is still on. */
  condition?: NonNullable<ConditionChange>;
  /** It started a condition (an alert: a new onset of its own, unlike a point signal's repeat). */
  starts?: boolean;
}

/** Severity order. */
export const SEV = { info: 0, warning: 1, critical: 2 } as const;

/** Options with their defaults applied. */
export type ResolvedOptions = ReturnType<typeof resolveOptions>;

function resolveOptions(options: CorrelatorOptions) {
  return {
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
}

/** The engine's mutable state. */
export interface CorrelatorState {
  o: ResolvedOptions;
  ctx: SearchContext;
  newId: () => string;
  attrsOf: (hostId: string) => HostAttributes;
  /** Latest attributes each host reported with. */
  hostAttrs: Map<string, HostAttributes>;
  /** Signals of the grouping window, oldest first. */
  recent: Signal[];
  all: Map<string, Incident>;
  /** Conditions on now (key → since). */
  active: Map<string, number>;
  st: { events: number; signals: number; suppressed: number; expiredNoise: number };
  /** Group size at the last re-check of its cause (incident-membership.ts recheckCause). */
  rechecked: Map<string, number>;
  /** Per group incident and symptom, when each host first joined with it (onset rates for attribution). */
  joined: Map<string, Map<string, Map<string, number>>>;
  /** Per group incident, each host's signals of each symptom (memberKey), so a host can move to a better cause. */
  members: Map<string, Map<string, HostSymptom>>;
  /** memberKey-like "incident\0host\0symptom": the host's repeat outlasted that cause, which never takes it back. */
  excluded: Set<string>;
}

/** One host's signals of one symptom in a group incident: the latest (up to 200) and how many in all. */
export interface HostSymptom {
  events: { id: string; ts: number; severity: Incident['severity']; starts?: boolean }[];
  count: number;
}

/** Key of a host's symptom in `CorrelatorState.members`. */
export const memberKey = (hostId: string, sig: string): string => `${hostId}\0${sig}`;

/** Fresh state for `options`. */
export function createState(options: CorrelatorOptions): CorrelatorState {
  const o = resolveOptions(options);
  const minRiskRatio = options.minRiskRatio ?? options.minLift ?? 3;
  const ignore = new Set(o.ignoreKeys ?? ['host', 'hostname', 'id']);
  let seq = 0;
  const hostAttrs = new Map<string, HostAttributes>();
  const attrsOf = (h: string) => hostAttrs.get(h) ?? o.population.attributes(h) ?? {};
  return {
    o,
    ctx: {
      population: o.population,
      attrsOf,
      ignore,
      thresholds: { minHosts: o.minGroupHosts, minScore: o.minScore, minRiskRatio },
    },
    newId: o.newId ?? (() => `inc-${++seq}`),
    attrsOf,
    hostAttrs,
    recent: [],
    all: new Map(),
    active: new Map(),
    st: { events: 0, signals: 0, suppressed: 0, expiredNoise: 0 },
    rechecked: new Map(),
    joined: new Map(),
    members: new Map(),
    excluded: new Set(),
  };
}

/** A copy for callers (the state's incidents stay private). */
export const view = (i: Incident): Incident => structuredClone(i);

/** Open incidents. */
export const openIncidents = (s: CorrelatorState): Incident[] => [...s.all.values()].filter((i) => i.status === 'open');

/** Drops signals older than the window; pending ones that expire count as noise. */
export function prune(s: CorrelatorState, now: number): void {
  let drop = 0;
  while (drop < s.recent.length && s.recent[drop]!.ts < now - s.o.windowMs) {
    if (s.recent[drop]!.incidentId === null) s.st.expiredNoise++;
    drop++;
  }
  if (drop) s.recent.splice(0, drop);
}

/** Hosts of open group incidents (other than `self`) holding any of `sigs`: explained by another cause. */
export function explainedHosts(s: CorrelatorState, sigs: ReadonlySet<string>, self: string | null): Set<string> {
  const out = new Set<string>();
  for (const i of openIncidents(s))
    if (i.scope === 'group' && i.id !== self && i.signatures.some((x) => sigs.has(x)))
      for (const h of i.hosts) out.add(h);
  return out;
}

/** Hosts showing any of `sigs` in the window that no other group incident explains, plus `extra`. */
export function symptomaticHosts(
  s: CorrelatorState,
  sigs: ReadonlySet<string>,
  extra: Iterable<string>,
  self: string,
): string[] {
  const other = (r: Signal) =>
    r.incidentId !== null && r.incidentId !== self && s.all.get(r.incidentId)?.scope === 'group';
  const set = new Set(s.recent.filter((r) => sigs.has(r.sig) && !other(r)).map((r) => r.hostId));
  for (const h of extra) set.add(h);
  return [...set];
}
