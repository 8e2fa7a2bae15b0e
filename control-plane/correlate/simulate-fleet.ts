/**
 * The simulated fleet's hosts and their attributes (simulate.ts): position (datacenter, rack, switch) from the host's
 * index, the rest drawn from weighted distributions that a scenario can override or extend (`attributes`), then
 * `confounds` applied in order: attributes that go together (a server model that mostly runs one kernel, racks of
 * one role), so a cause has a look-alike.
 */
import { z } from 'zod';

const name = z.string().min(1).max(120);

/** Per key, value → relative weight. */
export const AttributeDistributions = z.record(name, z.record(name, z.number().nonnegative()));

/** Hosts matching every `when` pair get every `set` pair, each with probability `share`. */
export const Confound = z.object({
  when: z.record(name, name),
  set: z.record(name, name).refine((x) => Object.keys(x).length > 0, 'set names at least one attribute'),
  share: z.number().min(0).max(1).default(1),
});

/** Disk firmware strings per disk model. */
export const DISKS: Record<string, string[]> = {
  'WDC-HC550': ['WD-A1', 'WD-A2'],
  'ST-X18': ['ST-CS01', 'ST-CS02'],
  'SAMSUNG-PM9A3': ['SM-G3', 'SM-G4', 'SM-G5'],
  'MICRON-7450': ['MC-E2'],
};

/** Default distributions (docs/scenarios.md lists them). */
export const BASE_ATTRIBUTES: Record<string, Record<string, number>> = {
  role: { web: 35, db: 15, cache: 15, batch: 20, storage: 15 },
  'inventory.system.model': { 'PowerEdge-R650': 40, 'ProLiant-DL380-G10': 35, 'SYS-1029U-TN10RT': 25 },
  'inventory.os.kernel': { '5.15.0-91': 50, '6.1.0-13': 35, '6.8.0-45': 15 },
  'inventory.bios.version': { '2.14.1': 1, '2.16.0': 1, '3.0.2': 1 },
  'inventory.disks.model': { 'WDC-HC550': 1, 'ST-X18': 1, 'SAMSUNG-PM9A3': 1, 'MICRON-7450': 1 },
};

/** Fleet shape. */
export interface FleetShape {
  hosts: number;
  racks: number;
  attributes: z.infer<typeof AttributeDistributions>;
  confounds: z.infer<typeof Confound>[];
}

function draw(dist: Record<string, number>, rnd: () => number): string {
  const entries = Object.entries(dist);
  const total = entries.reduce((s, [, w]) => s + w, 0);
  let x = rnd() * total;
  for (const [v, w] of entries) {
    x -= w;
    if (x < 0) return v;
  }
  return entries[entries.length - 1]![0];
}

/** Builds the hosts (`host-00000`…) with their attributes. */
export function buildFleet(shape: FleetShape, rnd: () => number): Map<string, Record<string, string>> {
  const dists = { ...BASE_ATTRIBUTES, ...shape.attributes };
  const hosts = new Map<string, Record<string, string>>();
  const perRack = Math.ceil(shape.hosts / shape.racks);
  for (let i = 0; i < shape.hosts; i++) {
    const r = Math.floor(i / perRack);
    const a: Record<string, string> = {
      datacenter: `dc${1 + Math.floor((r * 2) / shape.racks)}`,
      rack: `r${String(r + 1).padStart(2, '0')}`,
      switch: `sw${String(Math.floor(r / 2) + 1).padStart(2, '0')}`,
    };
    for (const [key, dist] of Object.entries(dists)) if (Object.keys(dist).length) a[key] = draw(dist, rnd);
    const firmware = () => {
      const fw = DISKS[a['inventory.disks.model'] ?? ''];
      if (fw && !shape.attributes['inventory.disks.firmware'])
        a['inventory.disks.firmware'] = fw[Math.floor(rnd() * fw.length)]!;
    };
    firmware();
    a['policyVersion'] = 'remediate@6';
    a['model.anomaly'] = 'anomaly-uni@3';
    for (const c of shape.confounds) {
      if (!Object.entries(c.when).every(([k, v]) => a[k] === v) || rnd() >= c.share) continue;
      Object.assign(a, c.set);
      if (c.set['inventory.disks.model'] && !c.set['inventory.disks.firmware']) firmware();
    }
    hosts.set(`host-${String(i).padStart(5, '0')}`, a);
  }
  return hosts;
}
