/**
 * Supervised backend of the ServiceManager port, for hosts without systemd: the agent starts configured
 * commands itself (own process group, no shell), records `<pid>\n<start ticks>` in a pidfile (so a pid reused
 * by another process is not mistaken for the service, also after an agent restart), and stops the whole group
 * with SIGTERM then SIGKILL. It does not restart on its own: restarting is a healing decision.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { SupervisedServiceConfig } from '../config.ts';
import { NotFoundError } from '../../../contract/errors.ts';
import { readProcStat } from '../actions/proc.ts';
import type { ServiceManager } from './service-manager.ts';
import { ServiceError } from './service-manager.ts';

export interface SupervisedOptions {
  services: SupervisedServiceConfig[];
  /** Pidfiles default to `<stateDir>/services/<name>.pid`. */
  stateDir: string;
  procRoot?: string;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export function createSupervisedServiceManager(opts: SupervisedOptions): ServiceManager {
  const procRoot = opts.procRoot ?? '/proc';
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = opts.now ?? Date.now;
  const byName = new Map(opts.services.map((s) => [s.name, s]));
  const started = new Set<string>();

  const cfg = (name: string) => {
    const s = byName.get(name);
    if (!s) throw new NotFoundError('supervised service', name);
    return s;
  };
  const pidfile = (s: SupervisedServiceConfig) => s.pidfile ?? join(opts.stateDir, 'services', `${s.name}.pid`);

  /** The live pid of the service, or null. */
  async function livePid(s: SupervisedServiceConfig): Promise<number | null> {
    let text: string;
    try {
      text = await readFile(pidfile(s), 'utf8');
    } catch {
      return null;
    }
    const [pidS, ticksS] = text.split('\n');
    const pid = Number(pidS);
    if (!Number.isInteger(pid) || pid <= 1) return null;
    const st = await readProcStat(procRoot, pid);
    if (!st || st.state === 'Z' || st.state === 'X') return null;
    if (ticksS && Number(ticksS) !== st.startTicks) return null;
    return pid;
  }

  async function start(name: string): Promise<void> {
    const s = cfg(name);
    if (await livePid(s)) return;
    const out = s.logFile ? await open(s.logFile, 'a') : null;
    try {
      const child = spawn(s.command[0]!, s.command.slice(1), {
        cwd: s.cwd,
        env: { ...process.env, ...s.env },
        detached: true,
        stdio: ['ignore', out ? out.fd : 'ignore', out ? out.fd : 'ignore'],
      });
      const pid = await new Promise<number>((resolve, reject) => {
        child.once('spawn', () => resolve(child.pid!));
        child.once('error', (e) => reject(new ServiceError(name, 'start', e.message)));
      });
      child.unref();
      const st = await readProcStat(procRoot, pid);
      await mkdir(dirname(pidfile(s)), { recursive: true });
      await writeFile(pidfile(s), `${pid}\n${st?.startTicks ?? ''}\n`);
      started.add(name);
    } finally {
      await out?.close();
    }
  }

  async function stop(name: string): Promise<void> {
    const s = cfg(name);
    const pid = await livePid(s);
    if (pid) {
      const signal = (sig: NodeJS.Signals) => {
        try {
          process.kill(-pid, sig);
        } catch {
          try {
            process.kill(pid, sig);
          } catch {
            /* gone */
          }
        }
      };
      signal('SIGTERM');
      const deadline = now() + s.stopGrace;
      while (now() < deadline && (await livePid(s))) await sleep(50);
      if (await livePid(s)) {
        signal('SIGKILL');
        for (let i = 0; i < 100 && (await livePid(s)); i++) await sleep(20);
      }
    }
    await rm(pidfile(s), { force: true });
  }

  return {
    backend: 'supervised',
    async status(name) {
      const s = byName.get(name);
      if (!s) return { name, state: 'missing', healthy: false };
      return (await livePid(s)) ? { name, state: 'running', healthy: true } : { name, state: 'dead', healthy: false };
    },
    start,
    stop,
    async restart(name) {
      await stop(name);
      await start(name);
    },
    async close() {
      for (const n of started) await stop(n).catch(() => {});
    },
  };
}
