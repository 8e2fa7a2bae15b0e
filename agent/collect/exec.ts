/** The counting {@link ExecPort}: every child process a collector spawns goes through here. */
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { ExecPort, ExecResult } from './types.ts';

/** Creates an exec port. `path` defaults to $PATH plus the sbin directories smartctl/systemctl live in. */
export function createExec(options: { path?: string } = {}): ExecPort {
  const counts: Record<string, number> = {};
  const dirs = (options.path ?? `${process.env.PATH ?? ''}${delimiter}/usr/sbin${delimiter}/sbin`)
    .split(delimiter)
    .filter(Boolean);
  const found = new Map<string, string | null>();
  return {
    run(caller, file, args, opts = {}) {
      counts[caller] = (counts[caller] ?? 0) + 1;
      return new Promise<ExecResult>((resolve) => {
        execFile(
          file,
          args,
          {
            timeout: opts.timeoutMs ?? 10_000,
            maxBuffer: opts.maxBytes ?? 4 * 1024 * 1024,
            killSignal: 'SIGKILL',
            encoding: 'utf8',
          },
          (err, stdout, stderr) => {
            const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: number | string }) | null;
            const timedOut = !!e?.killed;
            const code = e == null ? 0 : typeof e.code === 'number' ? e.code : null;
            resolve({ code, stdout: String(stdout ?? ''), stderr: String(stderr ?? e?.message ?? ''), timedOut });
          },
        );
      });
    },
    async which(file) {
      if (file.includes('/')) return (await executable(file)) ? file : null;
      if (found.has(file)) return found.get(file) ?? null;
      let hit: string | null = null;
      for (const d of dirs) {
        const p = join(d, file);
        if (await executable(p)) {
          hit = p;
          break;
        }
      }
      found.set(file, hit);
      return hit;
    },
    spawns: () => ({ ...counts }),
  };
}

async function executable(p: string): Promise<boolean> {
  try {
    await access(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
