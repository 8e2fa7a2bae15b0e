/** Pure parser of /proc/diskstats (Documentation/admin-guide/iostats.rst). */
import type { DiskIoFacts } from '../types.ts';

/** Whole disks worth reporting: skips loop, ram, zram, dm-* and partitions (sda1, nvme0n1p1, mmcblk0p1, vda1). */
export function isWholeDisk(name: string): boolean {
  if (/^(loop|ram|zram|fd|sr|dm-|md\d+p)/.test(name)) return false;
  if (/^(nvme\d+n\d+|mmcblk\d+)p\d+$/.test(name)) return false;
  if (/^(sd|vd|hd|xvd)[a-z]+\d+$/.test(name)) return false;
  return true;
}

/** The third field of a line (the device name), as `trim().split(/\s+/)[2]` would give it. */
const DEVICE_FIELD = /^\s*\S+\s+\S+\s+(\S+)/;

/** Parses /proc/diskstats; returns whole disks only unless `all`. */
export function parseDiskstats(text: string, all = false): DiskIoFacts[] {
  const out: DiskIoFacts[] = [];
  for (const line of text.split('\n')) {
    // Partitions and virtual devices (most lines on a host with many loop or dm devices) are skipped before the
    // line is split into its twenty fields.
    if (!all) {
      const device = DEVICE_FIELD.exec(line)?.[1];
      if (device === undefined || !isWholeDisk(device)) continue;
    }
    const f = line.trim().split(/\s+/);
    if (f.length < 14) continue;
    const device = f[2]!;
    const n = (i: number) => Number(f[i]);
    out.push({
      device,
      reads: n(3),
      readSectors: n(5),
      readMs: n(6),
      writes: n(7),
      writeSectors: n(9),
      writeMs: n(10),
      inFlight: n(11),
      ioMs: n(12),
      weightedIoMs: n(13),
    });
  }
  return out;
}
