/**
 * `homeostat --help` and `homeostat-agent --help` from the compiled programs (dist/): wall time and CPU time (the
 * reaped child's utime + stime from this process's /proc/self/stat) of each, the median of `runs` launches after one
 * unrecorded launch (so the file cache is warm, as on a host that runs the command twice). Target: 300 ms wall on a
 * quiet machine; on a shared machine the CPU time is the figure to trust.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { statCpuMs } from './proc-usage.ts';

export type HelpTime = { wallMs: number; cpuMs: number; runs: number } | null;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Times `node <entry> --help`; null when the entry is not built. */
export function helpTime(entry: string, runs = 5): HelpTime {
  if (!existsSync(entry)) return null;
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = -1; i < runs; i++) {
    const c0 = statCpuMs(process.pid).children;
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [entry, '--help'], { stdio: 'ignore' });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`${entry} --help exited ${r.status}`);
    if (i < 0) continue;
    wall.push(ms);
    cpu.push(statCpuMs(process.pid).children - c0);
  }
  return { wallMs: Math.round(median(wall)), cpuMs: Math.round(median(cpu)), runs };
}

/** Both programs' --help, from the repository's dist/. */
export function helpTimes(root: string): { homeostat: HelpTime; homeostatAgent: HelpTime } {
  return {
    homeostat: helpTime(join(root, 'dist/control-plane/homeostat.mjs')),
    homeostatAgent: helpTime(join(root, 'dist/agent/homeostat-agent.mjs')),
  };
}
