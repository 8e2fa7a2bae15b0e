/** Per-disk I/O counters from /proc/diskstats (whole disks only). */
import { parseDiskstats } from '../parse/diskstats.ts';
import { CollectorUnavailable, type Collector } from '../types.ts';

/** Creates the disk I/O collector (every cycle). */
export function createDiskCollector(): Collector<'disks'> {
  return {
    name: 'disks',
    cadence: 'cycle',
    async collect({ sysfs }) {
      const text = await sysfs.read('/proc/diskstats');
      if (text === null) throw new CollectorUnavailable('/proc/diskstats is not readable');
      return parseDiskstats(text);
    },
  };
}
