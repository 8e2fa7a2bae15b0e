/**
 * The real {@link SysFs}. /proc and /sys files are served from kernel memory, so reads are synchronous underneath
 * (an async readFile costs ~10x the CPU of a sync one, which matters when the process scan reads hundreds a cycle).
 */
import { existsSync, readFileSync, readdirSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import type { SysFs } from './types.ts';

/**
 * Creates a reader. `root` is '/' (this machine, the default), a directory holding proc/ and sys/ trees, or a map
 * from absolute prefix to directory, e.g. `{ '/proc': 'test/fixtures/proc/vm', '/sys': 'test/fixtures/sys/vm' }`.
 * Missing or unreadable files read as null and missing directories as [], never throw.
 */
export function createSysFs(root: string | Record<string, string> = '/'): SysFs {
  const mounts = typeof root === 'string' ? null : Object.entries(root).sort((a, b) => b[0].length - a[0].length);
  const at = (p: string): string | null => {
    if (root === '/') return p;
    if (typeof root === 'string') return join(root, p);
    for (const [prefix, dir] of mounts!)
      if (p === prefix || p.startsWith(`${prefix}/`)) return join(dir, p.slice(prefix.length));
    return null;
  };
  const label = typeof root === 'string' ? root : JSON.stringify(root);
  return {
    root: label,
    async read(path) {
      const p = at(path);
      if (p === null) return null;
      try {
        return readFileSync(p, 'utf8');
      } catch {
        return null;
      }
    },
    async list(path) {
      const p = at(path);
      if (p === null) return [];
      try {
        return readdirSync(p);
      } catch {
        return [];
      }
    },
    async exists(path) {
      const p = at(path);
      return p !== null && existsSync(p);
    },
    async statfs(path) {
      // Fixture roots have no real mounts: statfs of the process's cwd stands in, so tests stay hermetic.
      try {
        return statfsSync(root === '/' ? path : '.');
      } catch {
        return null;
      }
    },
  };
}
