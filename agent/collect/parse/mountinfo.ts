/** Pure parser of /proc/self/mountinfo (proc(5)). */

export interface MountEntry {
  mount: string;
  device: string;
  fstype: string;
  mountOptions: string[];
  superOptions: string[];
}

/** Filesystem types that hold data worth watching; pseudo and overlay-of-nothing filesystems are skipped. */
const PSEUDO = new Set([
  'proc',
  'sysfs',
  'devtmpfs',
  'devpts',
  'tmpfs',
  'cgroup',
  'cgroup2',
  'securityfs',
  'pstore',
  'bpf',
  'debugfs',
  'tracefs',
  'configfs',
  'fusectl',
  'mqueue',
  'hugetlbfs',
  'autofs',
  'binfmt_misc',
  'rpc_pipefs',
  'nsfs',
  'efivarfs',
  'ramfs',
  'squashfs',
  'overlay',
  'fuse.lxcfs',
  'nfsd',
]);

/** Unescapes the octal escapes mountinfo uses for space, tab, newline and backslash. */
function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Parses mountinfo; with `realOnly` (default) keeps block-backed/network filesystems, one entry per mount point. */
export function parseMountinfo(text: string, realOnly = true): MountEntry[] {
  const byMount = new Map<string, MountEntry>();
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(' ');
    const post = line.slice(sep + 3).split(' ');
    const e: MountEntry = {
      mount: unescapeOctal(pre[4] ?? ''),
      device: unescapeOctal(post[1] ?? ''),
      fstype: post[0] ?? '',
      mountOptions: (pre[5] ?? '').split(','),
      superOptions: (post[2] ?? '').split(','),
    };
    if (realOnly && (PSEUDO.has(e.fstype) || !e.mount.startsWith('/'))) continue;
    byMount.set(e.mount, e); // a later mount over the same point hides the earlier one
  }
  return [...byMount.values()];
}
