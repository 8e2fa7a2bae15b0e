/** systemd backend of the ServiceManager port: `systemctl` through an injected exec port. */
import { execFile } from 'node:child_process';
import type { ExecFn, ServiceManager } from './service-manager.ts';
import { ServiceError } from './service-manager.ts';

/** The default exec port: execFile with a timeout, never rejecting on a non-zero exit. */
export const execFileFn: ExecFn = (file, args, opts) =>
  new Promise((resolve) => {
    execFile(file, args, { timeout: opts?.timeoutMs ?? 30_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      // execFile's error carries the exit status as a number in `code` (a spawn failure has a string code instead).
      const raw: unknown = err ? (err as { code?: unknown }).code : 0;
      const code = typeof raw === 'number' ? raw : null;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) || (err && code === null ? err.message : '') });
    });
  });

/** Creates the systemd backend. `systemctl` defaults to 'systemctl' on PATH. */
export function createSystemdServiceManager(
  opts: { exec?: ExecFn; systemctl?: string; timeoutMs?: number } = {},
): ServiceManager {
  const exec = opts.exec ?? execFileFn;
  const bin = opts.systemctl ?? 'systemctl';
  const t = { timeoutMs: opts.timeoutMs ?? 60_000 };
  const run = async (op: string, name: string) => {
    const r = await exec(bin, [op, '--no-ask-password', '--', name], t);
    if (r.code !== 0) throw new ServiceError(name, op, r.stderr.trim() || `systemctl exited ${r.code}`);
  };
  return {
    backend: 'systemd',
    async status(name) {
      const r = await exec(bin, ['show', '--property=ActiveState,LoadState', '--', name], t);
      const props = Object.fromEntries(
        r.stdout
          .split('\n')
          .filter(Boolean)
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      if (r.code !== 0 || props.LoadState === 'not-found') return { name, state: 'missing', healthy: false };
      const state = props.ActiveState ?? 'unknown';
      return { name, state, healthy: state === 'active' };
    },
    start: (name) => run('start', name),
    stop: (name) => run('stop', name),
    restart: (name) => run('restart', name),
    async close() {},
  };
}
