/**
 * Fleet scenario simulator with known ground truth, for the correlation benchmark and tests (seeded, deterministic).
 * A scenario file (docs/scenarios.md) names a fleet shape, noise rate and faults; every generated event carries the
 * cause that produced it. Group faults hit hosts sharing one attribute value; `policy-rollout` first moves a wave of
 * hosts to a new policy version (attribute change), then makes most of them fail. Anomalies are alert episodes
 * (`anomaly.started` … `anomaly.ended`, one at a time per host, as agents send them); a `rack-power` outage silences
 * its hosts. Hosts and attributes: simulate-fleet.ts; episodes, outages and ambiguity: simulate-events.ts.
 */
import { z } from 'zod';
import { ValidationError, zodIssues } from '../../contract/errors.ts';
import type { CorrelatorEvent } from './incident.ts';
import type { HostAttributes } from './population.ts';
import { seededRandom } from '../../contract/seeded-random.ts';
import { AttributeDistributions, buildFleet, Confound } from './simulate-fleet.ts';
import { finishEvents, type Episode, type Outage } from './simulate-events.ts';

const Fault = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('rack-cooling'),
    rack: z.string(),
    startMinute: z.number().nonnegative(),
    durationMinutes: z.number().positive().default(30),
    affectedShare: z.number().min(0).max(1).default(0.9),
  }),
  z.object({
    kind: z.literal('rack-power'),
    rack: z.string(),
    startMinute: z.number().nonnegative(),
    durationMinutes: z.number().positive().default(30),
    affectedShare: z.number().min(0).max(1).default(1),
  }),
  z.object({
    kind: z.literal('policy-rollout'),
    version: z.string(),
    startMinute: z.number().nonnegative(),
    wavePercent: z.number().positive().max(100).default(5),
    failShare: z.number().min(0).max(1).default(0.8),
    durationMinutes: z.number().positive().default(25),
  }),
  z.object({
    kind: z.literal('disk-firmware'),
    firmware: z.string(),
    startMinute: z.number().nonnegative(),
    durationMinutes: z.number().positive().default(40),
    affectedShare: z.number().min(0).max(1).default(0.4),
  }),
  z.object({
    kind: z.literal('attribute-fault'),
    key: z.string(),
    value: z.string(),
    startMinute: z.number().nonnegative(),
    durationMinutes: z.number().positive().default(30),
    affectedShare: z.number().min(0).max(1).default(0.7),
    eventType: z.string().default('anomaly.started'),
    feature: z.string().optional(),
    severity: z.enum(['info', 'warning', 'critical']).default('warning'),
    everyMinutes: z.number().positive().default(4),
    /** Minutes over which affected hosts start (default 8). */
    onsetMinutes: z.number().nonnegative().default(8),
  }),
  z.object({
    kind: z.literal('single-host'),
    count: z.number().int().positive(),
    fromMinute: z.number().nonnegative().default(0),
    toMinute: z.number().positive().optional(),
  }),
]);

/** A scenario file. */
export const ScenarioFile = z.object({
  seed: z.number().int().default(1),
  hosts: z.number().int().min(10).max(100_000).default(600),
  racks: z.number().int().min(2).default(30),
  durationMinutes: z.number().positive().default(360),
  noisePerHostPerHour: z.number().nonnegative().default(0.15),
  /** Overrides or adds attribute distributions: key → value → weight (simulate-fleet.ts). */
  attributes: AttributeDistributions.default({}),
  /** Attributes that go together, applied in order after the draw. */
  confounds: z.array(Confound).default([]),
  faults: z.array(Fault).min(0),
});
export type ScenarioFile = z.infer<typeof ScenarioFile>;

/** The built-in scenario set: a rack losing cooling, a bad policy rollout, a disk firmware bug, 8 single-host faults. */
export const DEFAULT_SCENARIOS: z.input<typeof ScenarioFile> = {
  seed: 7,
  hosts: 600,
  racks: 30,
  durationMinutes: 360,
  noisePerHostPerHour: 0.15,
  faults: [
    { kind: 'rack-cooling', rack: 'r07', startMinute: 60 },
    { kind: 'policy-rollout', version: 'remediate@7', startMinute: 150 },
    { kind: 'disk-firmware', firmware: 'ST-CS02', startMinute: 230 },
    { kind: 'single-host', count: 8 },
  ],
};

/** A cause and the attribute a correct root-cause hint names for it. */
export interface SimCause {
  cause: string;
  /** `host=<id>` for single-host faults and noise. */
  truth: { key: string; value: string };
}

/** One generated event with its ground-truth cause (`noise` for background). */
export interface SimEvent extends SimCause {
  at: number;
  event: CorrelatorEvent;
  /** Other causes that produced the very same signal on this host at this time (an alert two faults kept on, the
   * same symptom from two faults at once): the event is explained by any of them (evaluate.ts). */
  alsoCauses?: SimCause[];
}

/** Generated fleet + events; `attributeChanges` are applied before the event at the same time (rollouts). */
export interface Simulation {
  hosts: Map<string, Record<string, string>>;
  events: SimEvent[];
  attributeChanges: { at: number; hostId: string; key: string; value: string }[];
  endAt: number;
}

/** Parses a scenario document, reporting every problem. */
export function parseScenarioFile(doc: unknown): ScenarioFile {
  const r = ScenarioFile.safeParse(doc);
  if (!r.success) throw new ValidationError(zodIssues(r.error), 'scenario file');
  return r.data;
}

const NOISE_FEATURES = ['cpu.util', 'mem.used', 'net.rx_errs', 'io.await', 'temp.cpu', 'fan.rpm', 'load.avg1'];
const HOST_FAULTS: [string, string | undefined][] = [
  ['service.crashloop', undefined],
  ['memory.ecc-corrected', undefined],
  ['anomaly.started', 'net.rx_errs'],
  ['anomaly.started', 'io.await'],
  ['heal.failed', undefined],
];

/** Builds the fleet and events (sorted by time) for a parsed scenario file. */
export function simulate(input: z.input<typeof ScenarioFile>): Simulation {
  const s = parseScenarioFile(input);
  const rnd = seededRandom(s.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const t0 = Date.UTC(2026, 0, 1);
  const min = (m: number) => t0 + Math.round(m * 60_000);
  const hosts = buildFleet(s, rnd);
  const ids = [...hosts.keys()];
  const points: SimEvent[] = [];
  const episodes: Episode[] = [];
  const off: Outage[] = [];
  const attributeChanges: Simulation['attributeChanges'] = [];
  const emit = (
    at: number,
    hostId: string,
    type: string,
    c: SimCause,
    feature?: string,
    severity: CorrelatorEvent['severity'] = 'warning',
    action?: string,
  ) => {
    const data: Record<string, unknown> = {};
    if (feature) data['feature'] = feature;
    if (action) data['action'] = action;
    points.push({ at, ...c, event: { id: '', hostId, ts: at, type, severity, data } });
  };
  const episode = (hostId: string, start: number, end: number, c: SimCause, feature?: string) =>
    episodes.push({ hostId, start: min(start), end: min(end), ...c, feature });
  const endAt = min(s.durationMinutes);
  const holders = (key: string, value: string) => ids.filter((h) => hosts.get(h)![key] === value);

  s.faults.forEach((f, fi) => {
    switch (f.kind) {
      case 'rack-cooling': {
        const c = { cause: `rack-cooling:${f.rack}`, truth: { key: 'rack', value: f.rack } };
        for (const id of holders('rack', f.rack).filter(() => rnd() < f.affectedShare)) {
          const start = f.startMinute + rnd() * 8;
          episode(id, start, f.startMinute + f.durationMinutes + rnd() * 3, c, pick(['temp.cpu', 'temp.inlet']));
          if (rnd() < 0.6) emit(min(start + 6 + rnd() * 6), id, 'heal.failed', c, undefined, 'warning', 'fan-boost');
        }
        break;
      }
      case 'rack-power': {
        const c = { cause: `rack-power:${f.rack}`, truth: { key: 'rack', value: f.rack } };
        for (const id of holders('rack', f.rack).filter(() => rnd() < f.affectedShare)) {
          const at = min(f.startMinute + rnd() * 0.5);
          emit(at, id, 'presence.offline', c);
          off.push({ hostId: id, from: at, to: min(f.startMinute + f.durationMinutes) });
        }
        break;
      }
      case 'policy-rollout': {
        const c = { cause: `policy-rollout:${f.version}`, truth: { key: 'policyVersion', value: f.version } };
        const wave = ids.filter(() => rnd() < f.wavePercent / 100);
        for (const id of wave)
          attributeChanges.push({ at: min(f.startMinute), hostId: id, key: 'policyVersion', value: f.version });
        for (const id of wave.filter(() => rnd() < f.failShare)) {
          for (let m = f.startMinute + 2 + rnd() * 6; m < f.startMinute + f.durationMinutes; m += 3 + rnd() * 3)
            emit(min(m), id, 'heal.failed', c, undefined, 'warning', 'restart-service');
          if (rnd() < 0.5)
            emit(
              min(f.startMinute + 10 + rnd() * 10),
              id,
              'heal.escalated',
              c,
              undefined,
              'critical',
              'restart-service',
            );
        }
        break;
      }
      case 'disk-firmware': {
        const c = {
          cause: `disk-firmware:${f.firmware}`,
          truth: { key: 'inventory.disks.firmware', value: f.firmware },
        };
        for (const id of holders('inventory.disks.firmware', f.firmware).filter(() => rnd() < f.affectedShare)) {
          const first = f.startMinute + rnd() * f.durationMinutes;
          emit(min(first), id, 'disk.failure-predicted', c);
          if (rnd() < 0.5) emit(min(first + 5 + rnd() * 10), id, 'disk.failure-predicted', c);
        }
        break;
      }
      case 'attribute-fault': {
        const c = { cause: `attribute-fault:${f.key}=${f.value}`, truth: { key: f.key, value: f.value } };
        const end = f.startMinute + f.durationMinutes;
        for (const id of holders(f.key, f.value).filter(() => rnd() < f.affectedShare)) {
          const start = f.startMinute + rnd() * f.onsetMinutes;
          // Agents alert in episodes (anomaly.started … anomaly.ended); `anomaly.detected` in older files means the same.
          if (f.eventType.startsWith('anomaly.')) episode(id, start, end + rnd() * 3, c, f.feature);
          else
            for (let m = start; m < end; m += f.everyMinutes * (0.75 + rnd() * 0.5))
              emit(min(m), id, f.eventType, c, f.feature, f.severity);
        }
        break;
      }
      case 'single-host': {
        const to = f.toMinute ?? s.durationMinutes - 30;
        for (let k = 0; k < f.count; k++) {
          const id = pick(ids);
          const [type, feature] = pick(HOST_FAULTS);
          const c = { cause: `single-host:${id}#${fi}.${k}`, truth: { key: 'host', value: id } };
          const start = f.fromMinute + rnd() * (to - f.fromMinute);
          const count = 3 + Math.floor(rnd() * 4);
          if (type === 'anomaly.started') {
            episode(id, start, start + count * (2 + rnd() * 4), c, feature);
            continue;
          }
          for (let j = 0; j < count; j++)
            emit(
              min(start + j * (2 + rnd() * 4)),
              id,
              type,
              c,
              feature,
              'warning',
              type === 'heal.failed' ? 'remount-fs' : undefined,
            );
        }
        break;
      }
    }
  });
  // Background: short alert episodes on random hosts (a blip that passed the agent's alert rule).
  const noise = Math.round(s.hosts * s.noisePerHostPerHour * (s.durationMinutes / 60));
  for (let k = 0; k < noise; k++) {
    const id = pick(ids);
    const start = rnd() * s.durationMinutes;
    episode(
      id,
      start,
      start + 0.5 + rnd() * 2,
      { cause: 'noise', truth: { key: 'host', value: id } },
      pick(NOISE_FEATURES),
    );
  }
  const events = finishEvents(points, episodes, off);
  events.forEach((e, i) => {
    e.event.id = `ev-${i + 1}`;
  });
  return { hosts, events, attributeChanges: attributeChanges.sort((a, b) => a.at - b.at), endAt };
}

/** Host attributes as the correlator takes them. */
export type { HostAttributes };
