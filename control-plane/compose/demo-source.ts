/**
 * A simulated host's readings for the demo fleet: the bundled NAB machine-temperature trace (agent/replay) replayed
 * out of phase per host as the CPU package temperature, plus smooth synthetic CPU, memory and disk readings, with
 * faults that the demo's scheduler switches on (rack heat, a stopped service, a filling disk) and healing clears,
 * and SMART facts of two disks per host (demo-smart.ts) for the disk-failure model.
 */
import { fileURLToPath } from 'node:url';
import { createReplaySource } from '../../agent/replay/replay-source.ts';
import type { CycleReading, Inventory, SampleSource } from '../../agent/pipeline/types.ts';
import { seededRandom } from '../../contract/seeded-random.ts';
import { demoSmart } from './demo-smart.ts';

/** The bundled trace (a slice of NAB machine_temperature_system_failure, MIT licence). */
export const DEMO_TRACE = fileURLToPath(
  new URL('../../agent/replay/traces/nab-machine-temperature.csv', import.meta.url),
);

/** Faults a demo host can suffer; the scheduler sets them, healing (or time) clears them. */
export type Faults = {
  /** Extra °C on the CPU until this time (ms). */
  heatUntil: number;
  /** A service that has stopped, or null. */
  serviceDown: string | null;
  /** The root filesystem is filling. */
  diskFilling: boolean;
};

/** Options of {@link createDemoSource}. */
export type DemoSourceOptions = { index: number; speedup: number; faults: Faults; inventory: Record<string, unknown> };

/** The demo host source; its `faults` object is shared with the scheduler and the demo healer. */
export function createDemoSource(o: DemoSourceOptions): SampleSource {
  const random = seededRandom(1000 + o.index);
  const replay = createReplaySource({
    path: DEMO_TRACE,
    mapping: { value: 'cpu.temp_package_c' },
    // The trace is in °F around 70–100; ×0.6 gives a plausible 40–60 °C package temperature.
    scale: 0.6,
    jitter: 0.4,
    random,
    speedup: o.speedup,
    offsetRows: (o.index * 37) % 480,
    name: 'nab-machine-temperature',
    inventory: o.inventory,
  });
  const phase = random() * Math.PI * 2;
  let mem = 45 + random() * 20;
  let diskFree = 35 + random() * 30;
  return {
    start: () => replay.start(),
    stop: () => replay.stop(),
    inventory: (): Promise<Inventory> => replay.inventory(),
    async collect(now: number): Promise<CycleReading> {
      const r = await replay.collect(now);
      const f = r.features;
      const t = now / 1000;
      const heat = now < o.faults.heatUntil;
      if (heat && f['cpu.temp_package_c'] != null) f['cpu.temp_package_c'] += 28 + random() * 4;
      f['cpu.util_pct'] = clamp(30 + 18 * Math.sin(t / 45 + phase) + (random() - 0.5) * 8 + (heat ? 35 : 0), 0, 100);
      f['cpu.load1'] = Math.round(((f['cpu.util_pct'] ?? 0) / 100) * 16 * 100) / 100;
      mem = clamp(mem + (random() - 0.5) * 0.8, 30, 85);
      f['mem.used_pct'] = mem;
      diskFree = o.faults.diskFilling
        ? Math.max(2, diskFree - 0.8)
        : Math.min(60, diskFree + (diskFree < 30 ? 0 : 0.01));
      f['fs.min_free_pct'] = diskFree;
      f['services.unhealthy'] = o.faults.serviceDown ? 1 : 0;
      f['net.rx_bytes_per_s'] = Math.round(2e6 + 1e6 * Math.sin(t / 30 + phase) + random() * 2e5);
      // Structured facts for the real healer's policy conditions (service and mount), simulated like the features.
      const size = 960e9;
      const facts = {
        services: ((o.inventory['services'] as string[] | undefined) ?? ['nginx']).map((name) => ({
          name,
          state: o.faults.serviceDown === name ? 'dead' : 'running',
          healthy: o.faults.serviceDown !== name,
        })),
        filesystems: [
          {
            mount: '/',
            device: '/dev/sda1',
            fstype: 'ext4',
            sizeBytes: size,
            freeBytes: (size * diskFree) / 100,
            availBytes: (size * diskFree) / 100,
            inodes: 6e7,
            inodesFree: 5e7,
            readOnly: false,
            remountedReadOnly: false,
          },
        ],
        // SMART pages of the host's two disks, so the agent's disk-failure model scores each one.
        smart: demoSmart(o.index, now, f['cpu.temp_package_c'] ?? 45),
      };
      return { ...r, features: f, facts, collectors: { ...r.collectors, demo: 'ok' } };
    },
  };
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
