/** Memory: /proc/meminfo, swap and fault counters from /proc/vmstat, EDAC ECC counters, memory and io pressure. */
import { parseMeminfo, parseVmstat } from '../parse/keyvalue.ts';
import { parsePressure } from '../parse/pressure.ts';
import { CollectorUnavailable, type Collector, type MemoryFacts } from '../types.ts';
import { readInt } from './cpu.ts';

/** The /proc/meminfo and /proc/vmstat keys read below (only these are parsed). */
const MEMINFO_KEYS = [
  'MemTotal',
  'MemFree',
  'MemAvailable',
  'Buffers',
  'Cached',
  'SwapTotal',
  'SwapFree',
  'SReclaimable',
] as const;
const VMSTAT_KEYS = ['pswpin', 'pswpout', 'pgmajfault'] as const;

/** Creates the memory collector (every cycle). */
export function createMemoryCollector(options: { pageSizeBytes?: number } = {}): Collector<'memory'> {
  let controllers: string[] | null = null;
  return {
    name: 'memory',
    cadence: 'cycle',
    async collect({ sysfs }) {
      const text = await sysfs.read('/proc/meminfo');
      if (text === null) throw new CollectorUnavailable('/proc/meminfo is not readable');
      const m = parseMeminfo(text, MEMINFO_KEYS);
      const vm = parseVmstat((await sysfs.read('/proc/vmstat')) ?? '', VMSTAT_KEYS);
      const total = m.MemTotal ?? 0;
      // MemAvailable exists since Linux 3.14; older kernels approximate it the way free(1) did.
      const available = m.MemAvailable ?? (m.MemFree ?? 0) + (m.Cached ?? 0) + (m.Buffers ?? 0);
      if (controllers === null)
        controllers = (await sysfs.list('/sys/devices/system/edac/mc')).filter((d) => /^mc\d+$/.test(d));
      let ecc = null as MemoryFacts['ecc'];
      for (const mc of controllers) {
        const ce = await readInt(sysfs, `/sys/devices/system/edac/mc/${mc}/ce_count`);
        const ue = await readInt(sysfs, `/sys/devices/system/edac/mc/${mc}/ue_count`);
        if (ce === null && ue === null) continue;
        ecc = {
          corrected: (ecc?.corrected ?? 0) + (ce ?? 0),
          uncorrected: (ecc?.uncorrected ?? 0) + (ue ?? 0),
          controllers: (ecc?.controllers ?? 0) + 1,
        };
      }
      const mem = await sysfs.read('/proc/pressure/memory');
      const io = await sysfs.read('/proc/pressure/io');
      return {
        totalBytes: total,
        availableBytes: available,
        freeBytes: m.MemFree ?? 0,
        cachedBytes: (m.Cached ?? 0) + (m.SReclaimable ?? 0),
        buffersBytes: m.Buffers ?? 0,
        usedBytes: total - available,
        swapTotalBytes: m.SwapTotal ?? 0,
        swapFreeBytes: m.SwapFree ?? 0,
        pswpin: vm.pswpin ?? 0,
        pswpout: vm.pswpout ?? 0,
        pgmajfault: vm.pgmajfault ?? 0,
        pageSizeBytes: options.pageSizeBytes ?? 4096,
        ecc,
        pressure: mem === null ? null : parsePressure(mem),
        ioPressure: io === null ? null : parsePressure(io),
      };
    },
  };
}
