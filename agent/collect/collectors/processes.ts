/**
 * Processes: one pass over /proc/[pid]/stat per cycle, CPU share from per-pid tick deltas, top N by CPU and by
 * resident memory, zombies, and open descriptors of the top consumers only (counted again once a minute at the
 * default cycle). Every process is kept in `all` for the
 * healing conditions (agent/heal reads command lines only when a policy needs them).
 *
 * The pass is the agent's largest fixed cost per cycle, so it is kept lean: each stat file is read through a
 * descriptor kept open from cycle to cycle (`SysFs.readKept`: one pread, about a third of the CPU of open + read +
 * close) into one reused buffer, and parsed from the bytes (only the command name becomes a string). Descriptors of
 * processes that are gone are released at the end of the pass.
 */
import { parsePidStat, parsePidStatInto, type PidStat } from '../parse/pid.ts';
import { CollectorUnavailable, type Collector, type ProcessInfo, type SysFs } from '../types.ts';

/** USER_HZ: the unit of /proc tick counters; 100 on every mainstream Linux architecture. */
const CLK_TCK = 100;

interface Sample {
  /** /proc/[pid]/stat of this pid, and its command name last pass (both reused while unchanged). */
  path: string;
  comm: string;
  ticks: number;
  start: number;
  /** The pass that last saw this pid (entries not seen in the latest pass are gone). */
  pass: number;
  /** Open descriptors when last counted, and the pass that counted them. */
  fds: number | null;
  fdsPass: number;
}

/** A top consumer's descriptors are counted again after this many passes (a directory listing each: ~30 µs). */
const FDS_EVERY_PASSES = 6;

/** A stat line is a few hundred bytes (the command name at most 64). */
const STAT_BUFFER_BYTES = 4096;

/** Reads and parses /proc/[pid]/stat through a kept descriptor into `out`; undefined when the reader has none (or
 * the line did not fit the buffer): then {@link readPidStatText}. Null when the process is gone or the file is not a
 * stat line. `prevComm`: the pid's command name last pass, kept when unchanged (no new string). */
function readPidStatKept(
  sysfs: SysFs,
  path: string,
  buf: Buffer,
  out: PidStat,
  prevComm: string | undefined,
): PidStat | null | undefined {
  if (!sysfs.readKept) return undefined;
  const n = sysfs.readKept(path, buf);
  if (n === null) return null;
  if (n >= buf.length) return undefined;
  return parsePidStatInto(buf, n, out, prevComm) ? out : null;
}

async function readPidStatText(sysfs: SysFs, path: string): Promise<PidStat | null> {
  const text = await sysfs.read(path);
  if (text === null) return null;
  try {
    return parsePidStat(text);
  } catch {
    return null;
  }
}

/** The `top` entries of `all` by `better` (a partial selection: no copy and sort of the whole list). */
function topBy(all: readonly ProcessInfo[], top: number, better: (a: ProcessInfo, b: ProcessInfo) => number) {
  const out: ProcessInfo[] = [];
  for (const p of all) {
    if (out.length === top && better(p, out[top - 1]!) >= 0) continue;
    let i = out.length === top ? top - 1 : out.length;
    while (i > 0 && better(p, out[i - 1]!) < 0) {
      out[i] = out[i - 1]!;
      i--;
    }
    out[i] = p;
  }
  return out;
}
const byCpu = (a: ProcessInfo, b: ProcessInfo) => (b.cpuPct ?? 0) - (a.cpuPct ?? 0) || b.rssBytes - a.rssBytes;
const byMem = (a: ProcessInfo, b: ProcessInfo) => b.rssBytes - a.rssBytes;

/** Creates the process collector (every cycle). `top` = how many processes per ranking (default 5). */
export function createProcessCollector(options: { top?: number; pageSizeBytes?: number } = {}): Collector<'processes'> {
  const top = options.top ?? 5;
  const page = options.pageSizeBytes ?? 4096;
  const buf = Buffer.allocUnsafe(STAT_BUFFER_BYTES);
  // One parse target for every process of every pass: only what is kept (ProcessInfo) is allocated per process.
  const stat: PidStat = { pid: 0, comm: '', state: '', utime: 0, stime: 0, numThreads: 0, startTicks: 0, rssPages: 0 };
  const seen = new Map<number, Sample>();
  let pass = 0;
  let prevUptime: number | null = null;
  return {
    name: 'processes',
    cadence: 'cycle',
    async collect({ sysfs }) {
      const uptimeText = await sysfs.read('/proc/uptime');
      if (uptimeText === null) throw new CollectorUnavailable('/proc/uptime is not readable');
      const uptime = Number(uptimeText.split(' ')[0]);
      const elapsed = prevUptime === null ? null : uptime - prevUptime;
      pass++;
      const all: ProcessInfo[] = [];
      let zombies = 0,
        threads = 0;
      const names = await sysfs.list('/proc');
      // An index, not for-of: the loop holds an await, so an iterator result per entry would escape.
      for (let i = 0; i < names.length; i++) {
        const name = names[i]!;
        const c = name.charCodeAt(0);
        if (c < 48 || c > 57) continue;
        const known = seen.get(Number(name));
        const path = known?.path ?? `/proc/${name}/stat`;
        // No await on the fast path: a promise and a microtask per process added up to a third of the pass.
        let s = readPidStatKept(sysfs, path, buf, stat, known?.comm);
        if (s === undefined) s = await readPidStatText(sysfs, path);
        if (s === null) continue; // exited between readdir and read
        const t = s.utime + s.stime;
        if (s.state === 'Z') zombies++;
        threads += s.numThreads;
        const p = seen.get(s.pid);
        // A recycled pid has a different start time: then its whole CPU time is new.
        const delta = p === undefined || p.pass !== pass - 1 ? null : p.start === s.startTicks ? t - p.ticks : t;
        if (p === undefined)
          seen.set(s.pid, { path, comm: s.comm, ticks: t, start: s.startTicks, pass, fds: null, fdsPass: 0 });
        else {
          if (p.start !== s.startTicks) p.fdsPass = 0; // another process now has this pid
          p.comm = s.comm;
          p.ticks = t;
          p.start = s.startTicks;
          p.pass = pass;
        }
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
      // forEach, not for-of: no [pid, sample] entry array per process.
      seen.forEach((sample, pid) => {
        if (sample.pass === pass) return;
        seen.delete(pid);
        sysfs.release?.(sample.path);
      });
      prevUptime = uptime;
      const topCpu = topBy(all, top, byCpu);
      const topMem = topBy(all, top, byMem);
      for (const p of new Set([...topCpu, ...topMem])) {
        const sample = seen.get(p.pid)!;
        if (sample.fdsPass === 0 || pass - sample.fdsPass >= FDS_EVERY_PASSES) {
          const fds = await sysfs.list(`/proc/${p.pid}/fd`);
          sample.fds = fds.length > 0 ? fds.length : null; // [] = exited or not permitted, not "no descriptors"
          sample.fdsPass = pass;
        }
        p.fds = sample.fds;
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
