/**
 * Fleet scenario simulator with known ground truth, for the correlation benchmark and tests (seeded, deterministic).
 * A scenario file (docs/scenarios.md) names a fleet shape, noise rate and faults; every generated event carries the
 * cause that produced it. Group faults hit hosts sharing one attribute value; `policy-rollout` first moves a wave of
 * hosts to a new policy version (attribute change), then makes most of them fail.
 */
import { z } from 'zod';
import { ValidationError, zodIssues } from '../../contract/errors.ts';
import type { CorrelatorEvent } from './incident.ts';
import type { HostAttributes } from './population.ts';
import { seededRandom } from '../../contract/seeded-random.ts';

const Fault = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('rack-cooling'),
    rack: z.string(),
    startMinute: z.number().nonnegative(),
    durationMinutes: z.number().positive().default(30),
    affectedShare: z.number().min(0).max(1).default(0.9),
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
    eventType: z.string().default('anomaly.detected'),
    feature: z.string().optional(),
    everyMinutes: z.number().positive().default(4),
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

/** One generated event with its ground-truth cause (`noise` for background). */
export interface SimEvent {
  at: number;
  event: CorrelatorEvent;
  cause: string;
  /** The attribute a correct root-cause hint names (`host=<id>` for single-host faults and noise). */
  truth: { key: string; value: string };
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

const DISKS: Record<string, string[]> = {
  'WDC-HC550': ['WD-A1', 'WD-A2'],
  'ST-X18': ['ST-CS01', 'ST-CS02'],
  'SAMSUNG-PM9A3': ['SM-G3', 'SM-G4', 'SM-G5'],
  'MICRON-7450': ['MC-E2'],
};
const NOISE_FEATURES = ['cpu.util', 'mem.used', 'net.rx_errs', 'io.await', 'temp.cpu', 'fan.rpm', 'load.avg1'];
const HOST_FAULTS: [string, string | undefined][] = [
  ['service.crashloop', undefined],
  ['memory.ecc-corrected', undefined],
  ['anomaly.detected', 'net.rx_errs'],
  ['anomaly.detected', 'io.await'],
  ['heal.failed', undefined],
];

/** Builds the fleet and events (sorted by time) for a parsed scenario file. */
export function simulate(input: z.input<typeof ScenarioFile>): Simulation {
  const s = parseScenarioFile(input);
  const rnd = seededRandom(s.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const t0 = Date.UTC(2026, 0, 1);
  const min = (m: number) => t0 + Math.round(m * 60_000);
  const hosts = new Map<string, Record<string, string>>();
  const perRack = Math.ceil(s.hosts / s.racks);
  for (let i = 0; i < s.hosts; i++) {
    const r = Math.floor(i / perRack);
    const model = pick(Object.keys(DISKS));
    const kr = rnd();
    hosts.set(`host-${String(i).padStart(5, '0')}`, {
      datacenter: `dc${1 + Math.floor((r * 2) / s.racks)}`,
      rack: `r${String(r + 1).padStart(2, '0')}`,
      switch: `sw${String(Math.floor(r / 2) + 1).padStart(2, '0')}`,
      'inventory.os.kernel': kr < 0.5 ? '5.15.0-91' : kr < 0.85 ? '6.1.0-13' : '6.8.0-45',
      'inventory.bios.version': pick(['2.14.1', '2.16.0', '3.0.2']),
      'inventory.disks.model': model,
      'inventory.disks.firmware': pick(DISKS[model]!),
      policyVersion: 'remediate@6',
      'model.anomaly': 'anomaly-uni@3',
    });
  }
  const ids = [...hosts.keys()];
  const events: SimEvent[] = [];
  const attributeChanges: Simulation['attributeChanges'] = [];
  let n = 0;
  const emit = (
    at: number,
    hostId: string,
    type: string,
    cause: string,
    truth: SimEvent['truth'],
    feature?: string,
    severity: CorrelatorEvent['severity'] = 'warning',
    action?: string,
  ) => {
    const data: Record<string, unknown> = {};
    if (feature) data['feature'] = feature;
    if (action) data['action'] = action;
    events.push({ at, cause, truth, event: { id: `ev-${++n}`, hostId, ts: at, type, severity, data } });
  };
  const endAt = min(s.durationMinutes);

  s.faults.forEach((f, fi) => {
    switch (f.kind) {
      case 'rack-cooling': {
        const cause = `rack-cooling:${f.rack}`;
        const truth = { key: 'rack', value: f.rack };
        for (const id of ids.filter((h) => hosts.get(h)!.rack === f.rack && rnd() < f.affectedShare)) {
          const start = f.startMinute + rnd() * 8;
          for (let m = start; m < f.startMinute + f.durationMinutes; m += 2 + rnd() * 2)
            emit(min(m), id, 'anomaly.detected', cause, truth, pick(['temp.cpu', 'temp.inlet']));
          if (rnd() < 0.6)
            emit(min(start + 6 + rnd() * 6), id, 'heal.failed', cause, truth, undefined, 'warning', 'fan-boost');
        }
        break;
      }
      case 'policy-rollout': {
        const cause = `policy-rollout:${f.version}`;
        const truth = { key: 'policyVersion', value: f.version };
        const wave = ids.filter(() => rnd() < f.wavePercent / 100);
        for (const id of wave)
          attributeChanges.push({ at: min(f.startMinute), hostId: id, key: 'policyVersion', value: f.version });
        for (const id of wave.filter(() => rnd() < f.failShare)) {
          for (let m = f.startMinute + 2 + rnd() * 6; m < f.startMinute + f.durationMinutes; m += 3 + rnd() * 3) {
            emit(min(m), id, 'heal.failed', cause, truth, undefined, 'warning', 'restart-service');
          }
          if (rnd() < 0.5)
            emit(
              min(f.startMinute + 10 + rnd() * 10),
              id,
              'heal.escalated',
              cause,
              truth,
              undefined,
              'critical',
              'restart-service',
            );
        }
        break;
      }
      case 'disk-firmware': {
        const cause = `disk-firmware:${f.firmware}`;
        const truth = { key: 'inventory.disks.firmware', value: f.firmware };
        for (const id of ids.filter(
          (h) => hosts.get(h)!['inventory.disks.firmware'] === f.firmware && rnd() < f.affectedShare,
        )) {
          const first = f.startMinute + rnd() * f.durationMinutes;
          emit(min(first), id, 'disk.failure-predicted', cause, truth);
          if (rnd() < 0.5) emit(min(first + 5 + rnd() * 10), id, 'disk.failure-predicted', cause, truth);
        }
        break;
      }
      case 'attribute-fault': {
        const cause = `attribute-fault:${f.key}=${f.value}#${fi}`;
        const truth = { key: f.key, value: f.value };
        for (const id of ids.filter((h) => hosts.get(h)![f.key] === f.value && rnd() < f.affectedShare)) {
          for (
            let m = f.startMinute + rnd() * 8;
            m < f.startMinute + f.durationMinutes;
            m += f.everyMinutes * (0.75 + rnd() * 0.5)
          )
            emit(min(m), id, f.eventType, cause, truth, f.feature);
        }
        break;
      }
      case 'single-host': {
        const to = f.toMinute ?? s.durationMinutes - 30;
        for (let k = 0; k < f.count; k++) {
          const id = pick(ids);
          const [type, feature] = pick(HOST_FAULTS);
          const cause = `single-host:${id}#${fi}.${k}`;
          const truth = { key: 'host', value: id };
          const start = f.fromMinute + rnd() * (to - f.fromMinute);
          const count = 3 + Math.floor(rnd() * 4);
          for (let j = 0; j < count; j++)
            emit(
              min(start + j * (2 + rnd() * 4)),
              id,
              type,
              cause,
              truth,
              feature,
              'warning',
              type === 'heal.failed' ? 'remount-fs' : undefined,
            );
        }
        break;
      }
    }
  });
  const noise = Math.round(s.hosts * s.noisePerHostPerHour * (s.durationMinutes / 60));
  for (let k = 0; k < noise; k++) {
    const id = pick(ids);
    emit(
      min(rnd() * s.durationMinutes),
      id,
      'anomaly.detected',
      'noise',
      { key: 'host', value: id },
      pick(NOISE_FEATURES),
    );
  }
  events.sort((a, b) => a.at - b.at);
  return { hosts, events, attributeChanges: attributeChanges.sort((a, b) => a.at - b.at), endAt };
}

/** Host attributes as the correlator takes them. */
export type { HostAttributes };
