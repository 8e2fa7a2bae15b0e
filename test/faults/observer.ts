/**
 * A small real observer for the fault harness: reads /proc for the test's OWN child processes (CPU% from
 * utime+stime deltas, RSS from statm, comm, cmdline, age), sizes the test's temp data directories (du) against a
 * virtual capacity, reports file sizes as features, and asks a ServiceManager for service states.
 * Produces an agent/heal `Observation`.
 */
import { readFileSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Observation, ProcessFact, FilesystemFact, ServiceFact } from '../../agent/heal/types.ts';
import type { ServiceManager } from '../../agent/heal/services/service-manager.ts';

const CLK_TCK = 100;
const PAGE = 4096;

export interface ObserverSpec {
  /** Pids to watch (the fault's own children). */
  pids(): number[];
  /** Temp data dirs reported as filesystems whose mount is the dir path and size a virtual capacity. */
  dirs?: { path: string; capacityBytes: number }[];
  /** Feature name → file whose size in bytes it reports (null when absent). */
  fileSizes?: Record<string, string>;
  services?: { manager: ServiceManager; names: string[] };
}

/** Recursive size of regular files under `dir` (no symlinks followed). */
export function du(dir: string): number {
  let total = 0;
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const n of names) {
    const p = join(dir, n);
    try {
      const st = lstatSync(p);
      if (st.isDirectory()) total += du(p);
      else if (st.isFile()) total += st.size;
    } catch {
      /* raced with a delete */
    }
  }
  return total;
}

function readProc(
  pid: number,
): { comm: string; cmdline: string; ticks: number; startTicks: number; rss: number; state: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const rest = stat.slice(close + 2).split(' ');
    const statm = readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ');
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return {
      comm: stat.slice(stat.indexOf('(') + 1, close),
      cmdline,
      state: rest[0]!,
      ticks: Number(rest[11]) + Number(rest[12]),
      startTicks: Number(rest[19]),
      rss: Number(statm[1]) * PAGE,
    };
  } catch {
    return null;
  }
}

/** Creates an observer; call `observe(now)` once per cycle (CPU% needs two cycles: null on the first). */
export function createObserver(spec: ObserverSpec): { observe(now: number): Promise<Observation> } {
  const prev = new Map<number, { ticks: number; at: number; startTicks: number }>();
  return {
    async observe(now) {
      const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
      const procs: ProcessFact[] = [];
      for (const pid of spec.pids()) {
        const p = readProc(pid);
        if (!p || p.state === 'Z' || p.state === 'X') {
          prev.delete(pid);
          continue;
        }
        const last = prev.get(pid);
        const cpuPct =
          last && last.startTicks === p.startTicks && now > last.at
            ? ((p.ticks - last.ticks) / CLK_TCK / ((now - last.at) / 1000)) * 100
            : null;
        prev.set(pid, { ticks: p.ticks, at: now, startTicks: p.startTicks });
        procs.push({
          pid,
          name: p.comm,
          cmdline: p.cmdline,
          cpuPct,
          rssBytes: p.rss,
          runtimeS: uptime - p.startTicks / CLK_TCK,
        });
      }
      const filesystems: FilesystemFact[] = (spec.dirs ?? []).map((d) => {
        const used = du(d.path);
        return {
          mount: d.path,
          sizeBytes: d.capacityBytes,
          availBytes: Math.max(0, d.capacityBytes - used),
          inodes: 1_000_000,
          inodesFree: 1_000_000,
        };
      });
      const features: Record<string, number | null> = {};
      for (const [name, path] of Object.entries(spec.fileSizes ?? {})) {
        try {
          features[name] = statSync(path).size;
        } catch {
          features[name] = null;
        }
      }
      const services: ServiceFact[] = [];
      if (spec.services) for (const n of spec.services.names) services.push(await spec.services.manager.status(n));
      return { ts: now, features, facts: { processes: { topCpu: procs, topMem: [] }, filesystems, services } };
    },
  };
}
