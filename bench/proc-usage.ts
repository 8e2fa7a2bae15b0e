/**
 * What a process costs, read from /proc (benchmarks only): CPU time from /proc/<pid>/stat (utime + stime of the
 * process, plus cutime + cstime of the children it reaped, in 10 ms clock ticks), nanosecond CPU time from the
 * schedstat of every live thread (the per-cycle distribution needs better than 10 ms resolution), and memory.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: the unit of /proc tick counters (100 on every mainstream Linux architecture). */
const CLK_TCK = 100;

/** CPU milliseconds from /proc/<pid>/stat: own user + system, plus reaped children's (cutime + cstime). */
export function statCpuMs(pid: number): { own: number; children: number } {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  const ms = (i: number) => (Number(f[i]) * 1000) / CLK_TCK;
  return { own: ms(11) + ms(12), children: ms(13) + ms(14) }; // fields 14-17 of proc(5)
}

/** CPU milliseconds (ns resolution) summed over the live threads' schedstat; exited threads are not counted. */
export function schedCpuMs(pid: number): number {
  let ns = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread exited between readdir and read
    }
  }
  return ns / 1e6;
}

/** Resident set now and its peak (VmRSS, VmHWM), and the proportional set size when the kernel reports it, in MB. */
export function memoryMb(pid: number): { rss: number; peak: number; pss: number | null } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string, text: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  let pss: number | null = null;
  try {
    pss = kb('Pss', readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8')) / 1024;
  } catch {
    // no smaps_rollup (kernel < 4.14) or not permitted
  }
  return { rss: kb('VmRSS', status) / 1024, peak: kb('VmHWM', status) / 1024, pss };
}

/** Mean, percentiles and max of a sample (sorted copy). */
export function summarize(xs: readonly number[]): { n: number; mean: number; p50: number; p95: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  return {
    n: s.length,
    mean: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length),
    p50: at(0.5),
    p95: at(0.95),
    max: s[s.length - 1] ?? NaN,
  };
}

/** Least-squares slope of `y` over `t` (same units per unit of t); NaN with fewer than 2 points. */
export function slope(points: readonly { t: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mt = points.reduce((a, p) => a + p.t, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - mt) * (p.y - my);
    den += (p.t - mt) ** 2;
  }
  return den === 0 ? NaN : num / den;
}
