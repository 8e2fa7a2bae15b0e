/**
 * SMART health per disk via `smartctl --json -a` (slow cadence, default every 600 s; spawning is fine off the fast
 * path). Unavailable without smartctl, without root, or when no disk can report SMART (virtio/xen disks).
 */
import { isWholeDisk } from '../parse/diskstats.ts';
import { parseSmartctl } from '../parse/smartctl.ts';
import { truncateCodePoints } from '../../../contract/truncate.ts';
import { CollectorUnavailable, type Cadence, type Collector, type SmartDisk } from '../types.ts';

/** Devices smartctl can query: whole disks from /sys/block that are not virtual (virtio, xen, loop, zram, dm). */
export function smartCandidates(blockDevices: string[]): { query: string[]; skipped: Record<string, string> } {
  const query: string[] = [];
  const skipped: Record<string, string> = {};
  for (const d of blockDevices.sort()) {
    if (!isWholeDisk(d)) continue;
    if (/^(vd|xvd)/.test(d)) skipped[d] = 'virtual disk has no SMART';
    else if (/^(nbd|rbd|nullb|pmem)/.test(d)) skipped[d] = 'not a physical disk';
    else query.push(d);
  }
  return { query, skipped };
}

/** Creates the SMART collector. `uid` defaults to process.getuid(); `smartctl` overrides the binary looked up on PATH. */
export function createSmartCollector(
  options: { cadence?: Cadence; uid?: number; smartctl?: string; timeoutMsPerDisk?: number } = {},
): Collector<'smart'> {
  return {
    name: 'smart',
    cadence: options.cadence ?? { everySeconds: 600 },
    timeoutMs: 60_000,
    async collect({ sysfs, exec, signal }) {
      const bin = await exec.which(options.smartctl ?? 'smartctl');
      if (!bin) throw new CollectorUnavailable('smartctl not installed (apt install smartmontools)');
      const uid = options.uid ?? process.getuid?.() ?? 0;
      if (uid !== 0) throw new CollectorUnavailable('not root: smartctl needs raw disk access');
      const { query, skipped } = smartCandidates(await sysfs.list('/sys/block'));
      if (query.length === 0)
        throw new CollectorUnavailable(`no SMART-capable disks (${Object.keys(skipped).join(', ') || 'none found'})`);
      const disks: SmartDisk[] = [];
      for (const d of query) {
        if (signal.aborted) break;
        // -n standby: do not spin up a sleeping disk just to read its health.
        const r = await exec.run('smart', bin, ['--json', '-a', '-n', 'standby', `/dev/${d}`], {
          timeoutMs: options.timeoutMsPerDisk ?? 15_000,
        });
        if (r.timedOut) {
          skipped[d] = 'smartctl timed out';
          continue;
        }
        const p = parseSmartctl(r.stdout, `/dev/${d}`);
        if (p.ok) disks.push({ ...p.disk, device: d });
        else skipped[d] = p.reason;
      }
      if (disks.length === 0)
        throw new CollectorUnavailable(
          truncateCodePoints(
            `no disk reported SMART: ${Object.entries(skipped)
              .map(([k, v]) => `${k}: ${v}`)
              .join('; ')}`,
            240,
          ),
        );
      return { disks, skipped };
    },
  };
}
