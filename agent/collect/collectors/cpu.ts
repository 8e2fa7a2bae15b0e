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

/** Creates the CPU collector (every cycle). Sensor paths are discovered on the first run. */
export function createCpuCollector(): Collector<'cpu'> {
  let temps: HwmonInput[] | null = null;
  let zones: { name: string; path: string }[] | null = null;
  return {
    name: 'cpu',
    cadence: 'cycle',
    async collect({ sysfs }) {
      const statText = await sysfs.read('/proc/stat');
      if (statText === null) throw new CollectorUnavailable('/proc/stat is not readable (not Linux?)');
      const stat = parseProcStat(statText);
      const load = parseLoadavg((await sysfs.read('/proc/loadavg')) ?? '');
      const ids = Object.keys(stat.cores);
      const freq: Record<string, number> = {};
      let throttle: number | null = null;
      for (const id of ids) {
        const khz = await readInt(sysfs, `/sys/devices/system/cpu/cpu${id}/cpufreq/scaling_cur_freq`);
        if (khz !== null) freq[id] = khz / 1000;
        const core = await readInt(sysfs, `/sys/devices/system/cpu/cpu${id}/thermal_throttle/core_throttle_count`);
        if (core !== null) throttle = (throttle ?? 0) + core;
      }
      // The package counter is shared by every core of a package: count it once (from cpu0).
      const pkg = await readInt(sysfs, '/sys/devices/system/cpu/cpu0/thermal_throttle/package_throttle_count');
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
