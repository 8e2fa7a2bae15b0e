/** CPU: times from /proc/stat, load, cpufreq, thermal throttle counters, temperatures, pressure stall. */
import { CPU_TEMP_CHIPS, discoverHwmon, readHwmon, type HwmonInput } from '../hwmon.ts';
import { parseLoadavg, parseProcStat } from '../parse/proc-stat.ts';
import { parsePressure } from '../parse/pressure.ts';
import { CollectorUnavailable, type Collector, type CpuFacts, type SysFs } from '../types.ts';

/** Reads a sysfs integer file, null when absent. */
export async function readInt(fs: SysFs, path: string): Promise<number | null> {
  const t = await fs.read(path);
  if (t === null) return null;
  const n = Number(t.trim());
  return Number.isFinite(n) ? n : null;
}

/** How long a kernel file that could not be read is left alone by an {@link OptionalReader} (10 minutes). */
export const OPTIONAL_RECHECK_MS = 600_000;

/**
 * Reads integer kernel files that are often missing or unreadable for good (no cpufreq driver or thermal_throttle
 * counters in a virtual machine, no link speed on a virtual interface). Each failed read costs an error object and
 * system calls, every cycle: a file that could not be read is not read again for `recheckMs` (by the collector's
 * clock), unless {@link OptionalReader.forget} says its state may have changed.
 */
export type OptionalReader = {
  read(fs: SysFs, path: string, now: number): Promise<number | null>;
  forget(path: string): void;
};
export function createOptionalReader(recheckMs = OPTIONAL_RECHECK_MS): OptionalReader {
  const unreadableUntil = new Map<string, number>();
  return {
    async read(fs, path, now) {
      const until = unreadableUntil.get(path);
      if (until !== undefined && now < until && now >= until - recheckMs) return null; // (a clock set back re-reads)
      const v = await readInt(fs, path);
      if (v === null) {
        if (unreadableUntil.size >= 4096) unreadableUntil.clear(); // bounded (interfaces come and go)
        unreadableUntil.set(path, now + recheckMs);
      } else if (until !== undefined) unreadableUntil.delete(path);
      return v;
    },
    forget(path) {
      unreadableUntil.delete(path);
    },
  };
}

/** The per-core files the CPU collector reads, by core id (built once per core, not every cycle). */
type CorePaths = { freq: string; throttle: string };

/** Creates the CPU collector (every cycle). Sensor paths are discovered on the first run. */
export function createCpuCollector(): Collector<'cpu'> {
  let temps: HwmonInput[] | null = null;
  let zones: { name: string; path: string }[] | null = null;
  const optional = createOptionalReader();
  const corePaths = new Map<string, CorePaths>();
  const pathsOf = (id: string): CorePaths => {
    let p = corePaths.get(id);
    if (p === undefined) {
      p = {
        freq: `/sys/devices/system/cpu/cpu${id}/cpufreq/scaling_cur_freq`,
        throttle: `/sys/devices/system/cpu/cpu${id}/thermal_throttle/core_throttle_count`,
      };
      corePaths.set(id, p);
    }
    return p;
  };
  return {
    name: 'cpu',
    cadence: 'cycle',
    async collect({ sysfs, now }) {
      const statText = await sysfs.read('/proc/stat');
      if (statText === null) throw new CollectorUnavailable('/proc/stat is not readable (not Linux?)');
      const stat = parseProcStat(statText);
      const load = parseLoadavg((await sysfs.read('/proc/loadavg')) ?? '');
      const ids = Object.keys(stat.cores);
      const freq: Record<string, number> = {};
      let throttle: number | null = null;
      for (const id of ids) {
        const paths = pathsOf(id);
        const khz = await optional.read(sysfs, paths.freq, now);
        if (khz !== null) freq[id] = khz / 1000;
        const core = await optional.read(sysfs, paths.throttle, now);
        if (core !== null) throttle = (throttle ?? 0) + core;
      }
      // The package counter is shared by every core of a package: count it once (from cpu0).
      const pkg = await optional.read(
        sysfs,
        '/sys/devices/system/cpu/cpu0/thermal_throttle/package_throttle_count',
        now,
      );
      if (pkg !== null) throttle = (throttle ?? 0) + pkg;

      if (temps === null)
        temps = (await discoverHwmon(sysfs)).filter((i) => i.kind === 'temp' && CPU_TEMP_CHIPS.has(i.chip));
      if (zones === null) {
        zones = [];
        for (const z of (await sysfs.list('/sys/class/thermal')).filter((d) => d.startsWith('thermal_zone')).sort()) {
          const type = (await sysfs.read(`/sys/class/thermal/${z}/type`))?.trim() ?? z;
          zones.push({
            name: `${type}${z.slice('thermal_zone'.length)}`.toLowerCase().replace(/[^a-z0-9_]/g, '_'),
            path: `/sys/class/thermal/${z}/temp`,
          });
        }
      }
      let packageC: number | null = null;
      const coresC: Record<string, number> = {};
      for (const t of temps) {
        const c = await readHwmon(sysfs, t);
        if (c === null) continue;
        const core = /^core_(\d+)$/.exec(t.label);
        if (core) coresC[core[1]!] = c;
        else if (/^(package_id_\d+|tdie|tctl|temp1)$/.test(t.label)) packageC = Math.max(packageC ?? -Infinity, c);
      }
      const zonesC: Record<string, number> = {};
      for (const z of zones) {
        const m = await readInt(sysfs, z.path);
        if (m !== null) zonesC[z.name] = m / 1000;
      }
      const haveTemps = packageC !== null || Object.keys(coresC).length > 0 || Object.keys(zonesC).length > 0;
      const psi = await sysfs.read('/proc/pressure/cpu');
      const facts: CpuFacts = {
        total: stat.total,
        cores: stat.cores,
        ...load,
        runnable: stat.running,
        procsBlocked: stat.blocked,
        freqMhz: Object.keys(freq).length ? freq : null,
        throttleCount: throttle,
        temps: haveTemps ? { packageC, coresC, zonesC } : null,
        pressure: psi === null ? null : parsePressure(psi),
      };
      return facts;
    },
  };
}
