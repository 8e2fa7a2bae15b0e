/** Filesystems: mounts from /proc/self/mountinfo, sizes and inodes from statfs, read-only remount detection. */
import { parseMountinfo, type MountEntry } from '../parse/mountinfo.ts';
import { CollectorUnavailable, type Collector, type FilesystemFacts } from '../types.ts';

/** Parses /etc/fstab into mount point -> options (comment and blank lines skipped). */
export function parseFstab(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[0]!.startsWith('#')) continue;
    out.set(f[1]!.replace(/\\040/g, ' '), f[3]!.split(','));
  }
  return out;
}

/** Creates the filesystem collector (every cycle; one statfs per real mount). */
export function createFilesystemCollector(options: { ignoreMounts?: RegExp } = {}): Collector<'filesystems'> {
  const seenRw = new Set<string>();
  let fstab: Map<string, string[]> | null = null;
  // The mount table rarely changes: its parse is reused while the text is the same (entries are only read).
  let lastText: string | null = null;
  let mounts: MountEntry[] = [];
  return {
    name: 'filesystems',
    cadence: 'cycle',
    async collect({ sysfs }) {
      const text = await sysfs.read('/proc/self/mountinfo');
      if (text === null) throw new CollectorUnavailable('/proc/self/mountinfo is not readable');
      fstab ??= parseFstab((await sysfs.read('/etc/fstab')) ?? '');
      const out: FilesystemFacts[] = [];
      if (text !== lastText) {
        mounts = parseMountinfo(text);
        lastText = text;
      }
      for (const m of mounts) {
        if (options.ignoreMounts?.test(m.mount)) continue;
        const st = await sysfs.statfs(m.mount);
        if (!st || st.blocks === 0) continue; // autofs placeholders, empty pseudo mounts
        const readOnly = m.mountOptions.includes('ro') || m.superOptions.includes('ro');
        if (!readOnly) seenRw.add(m.mount);
        const intended = fstab.get(m.mount);
        const intendedRw = intended ? !intended.includes('ro') : false;
        out.push({
          mount: m.mount,
          device: m.device,
          fstype: m.fstype,
          sizeBytes: st.blocks * st.bsize,
          freeBytes: st.bfree * st.bsize,
          availBytes: st.bavail * st.bsize,
          inodes: st.files,
          inodesFree: st.ffree,
          readOnly,
          // errors=remount-ro flips a rw mount to ro: either we saw it rw earlier, or fstab (or the option) says rw.
          remountedReadOnly:
            readOnly &&
            (seenRw.has(m.mount) ||
              intendedRw ||
              (m.superOptions.includes('errors=remount-ro') && m.mountOptions.includes('ro'))),
        });
      }
      return out;
    },
  };
}
