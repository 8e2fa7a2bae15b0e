/**
 * The real {@link SysFs}. /proc and /sys files are served from kernel memory, so reads are synchronous underneath
 * (an async readFile costs ~10x the CPU of a sync one, which matters when the process scan reads hundreds a cycle).
 * On the real root, the kernel files collectors read every cycle (/proc/stat, /proc/meminfo, cpufreq, /sys/class/net,
 * ...) are read through descriptors kept open between cycles: a pread from offset 0 makes the kernel generate the
 * file afresh, in one system call instead of readFileSync's five (open, fstat, read, read, close). Per-process files
 * (/proc/[pid]/...) are kept only when asked for ({@link SysFs.readKept}), since their owner releases them.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, statfsSync } from 'node:fs';
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
  // Descriptors kept open by readKept, by path; bounded well below the process's descriptor limit.
  const kept = new Map<string, number>();
  const maxKept = keptLimit();
  const closeQuietly = (fd: number) => {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  };
  const readOnce = (p: string, buf: Buffer): number | null => {
    let fd: number;
    try {
      fd = openSync(p, 'r');
    } catch {
      return null;
    }
    try {
      return readSync(fd, buf, 0, buf.length, 0);
    } catch {
      return null;
    } finally {
      closeQuietly(fd);
    }
  };
  const textBuf = Buffer.allocUnsafe(KEPT_TEXT_BYTES);
  const reader: SysFs = {
    root: label,
    async read(path) {
      const p = at(path);
      if (p === null) return null;
      if (root === '/' && keepable(path)) {
        const n = reader.readKept!(path, textBuf);
        if (n === null) return null;
        if (n < textBuf.length) return textBuf.toString('utf8', 0, n);
        reader.release!(path); // larger than the buffer: read whole, every time
      }
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
    readKept(path, buf) {
      const p = at(path);
      if (p === null) return null;
      const fd = kept.get(path);
      if (fd !== undefined) {
        try {
          return readSync(fd, buf, 0, buf.length, 0);
        } catch {
          // The process behind a /proc/[pid] file exited (ESRCH), and its pid may belong to a new one now: reopen.
          closeQuietly(fd);
          kept.delete(path);
        }
      }
      if (kept.size >= maxKept) return readOnce(p, buf);
      let fresh: number;
      try {
        fresh = openSync(p, 'r');
      } catch {
        return null;
      }
      try {
        const n = readSync(fresh, buf, 0, buf.length, 0);
        kept.set(path, fresh);
        return n;
      } catch {
        closeQuietly(fresh);
        return null;
      }
    },
    release(path) {
      if (path === undefined) {
        for (const fd of kept.values()) closeQuietly(fd);
        kept.clear();
        return;
      }
      const fd = kept.get(path);
      if (fd === undefined) return;
      closeQuietly(fd);
      kept.delete(path);
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
  return reader;
}

/** Files up to this size are read through kept descriptors by `read` (a larger one is read whole each time). */
const KEPT_TEXT_BYTES = 64 * 1024;

/** Kernel files `read` keeps open: under /proc or /sys, but not a process's own directory (/proc/[pid]/...). */
function keepable(path: string): boolean {
  if (path.startsWith('/sys/')) return true;
  if (!path.startsWith('/proc/')) return false;
  const c = path.charCodeAt(6);
  return c < 48 || c > 57;
}

/** How many descriptors readKept may hold: a quarter of the soft RLIMIT_NOFILE (Node raises it to the hard limit at
 * start-up), at most 8192; 256 when /proc/self/limits is unreadable. */
function keptLimit(): number {
  try {
    const soft = Number(/^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1]);
    return soft > 0 ? Math.min(8192, Math.floor(soft / 4)) : 256;
  } catch {
    return 256;
  }
}
