/**
 * Processes: one pass over /proc/[pid]/stat per cycle (~10 µs per pid), CPU share from per-pid tick deltas,
 * top N by CPU and by resident memory, zombies, and open descriptors of the top consumers only. Every process is
 * kept in `all` for the healing conditions (agent/heal reads command lines only when a policy needs them).
 */
import { parsePidStat } from '../parse/pid.ts';
import { CollectorUnavailable, type Collector, type ProcessInfo } from '../types.ts';

/** USER_HZ: the unit of /proc tick counters; 100 on every mainstream Linux architecture. */
const CLK_TCK = 100;

interface Sample {
  ticks: number;
  start: number;
}

/** Creates the process collector (every cycle). `top` = how many processes per ranking (default 5). */
export function createProcessCollector(options: { top?: number; pageSizeBytes?: number } = {}): Collector<'processes'> {
  const top = options.top ?? 5;
  const page = options.pageSizeBytes ?? 4096;
  let prev = new Map<number, Sample>();
  let prevUptime: number | null = null;
  return {
    name: 'processes',
    cadence: 'cycle',
    async collect({ sysfs }) {
      const uptimeText = await sysfs.read('/proc/uptime');
      if (uptimeText === null) throw new CollectorUnavailable('/proc/uptime is not readable');
      const uptime = Number(uptimeText.split(' ')[0]);
      const elapsed = prevUptime === null ? null : uptime - prevUptime;
      const next = new Map<number, Sample>();
      const all: ProcessInfo[] = [];
      let zombies = 0,
        threads = 0;
      for (const name of await sysfs.list('/proc')) {
        const c = name.charCodeAt(0);
        if (c < 48 || c > 57) continue;
        const text = await sysfs.read(`/proc/${name}/stat`);
        if (text === null) continue; // exited between readdir and read
        const s = parsePidStat(text);
        const t = s.utime + s.stime;
        next.set(s.pid, { ticks: t, start: s.startTicks });
        if (s.state === 'Z') zombies++;
        threads += s.numThreads;
        const p = prev.get(s.pid);
        // A recycled pid has a different start time: then its whole CPU time is new.
        const delta = p === undefined ? null : p.start === s.startTicks ? t - p.ticks : t;
        all.push({
          pid: s.pid,
          name: s.comm,
          state: s.state,
          rssBytes: s.rssPages * page,
          runtimeS: Math.max(0, Math.round((uptime - s.startTicks / CLK_TCK) * 100) / 100),
          fds: null,
          cpuPct: elapsed && elapsed > 0 && delta !== null ? Math.round((delta / CLK_TCK / elapsed) * 1000) / 10 : null,
        });
      }
      prev = next;
      prevUptime = uptime;
      const topCpu = [...all]
        .sort((a, b) => (b.cpuPct ?? 0) - (a.cpuPct ?? 0) || b.rssBytes - a.rssBytes)
        .slice(0, top);
      const topMem = [...all].sort((a, b) => b.rssBytes - a.rssBytes).slice(0, top);
      for (const p of new Set([...topCpu, ...topMem])) {
        const fds = await sysfs.list(`/proc/${p.pid}/fd`);
        p.fds = fds.length > 0 ? fds.length : null; // [] = exited or not permitted, not "no descriptors"
      }
      const fileNr = (await sysfs.read('/proc/sys/fs/file-nr'))?.trim().split(/\s+/).map(Number);
      return {
        count: all.length,
        zombies,
        threads,
        topCpu,
        topMem,
        all,
        fdsAllocated: fileNr?.[0] ?? null,
        fdsMax: fileNr?.[2] ?? null,
      };
    },
  };
}
