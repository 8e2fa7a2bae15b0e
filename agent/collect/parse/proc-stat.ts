/** Pure parsers of /proc/stat and /proc/loadavg. */
import type { CpuTimes } from '../types.ts';
import { truncateCodePoints } from '../../../contract/truncate.ts';

export interface ProcStat {
  total: CpuTimes;
  cores: Record<string, CpuTimes>;
  running: number;
  blocked: number;
  bootTimeS: number | null;
}

/** The lines {@link parseProcStat} reads, by their first field (as `trim().split(/\s+/)[0]` would give it). */
const WANTED = /^\s*(cpu|procs_running(\s|$)|procs_blocked(\s|$)|btime(\s|$))/;

/** Parses /proc/stat: aggregate and per-core CPU times (ticks), procs_running/blocked, btime. */
export function parseProcStat(text: string): ProcStat {
  let total: CpuTimes | null = null;
  const cores: Record<string, CpuTimes> = {};
  let running = 0,
    blocked = 0,
    bootTimeS: number | null = null;
  for (const line of text.split('\n')) {
    // Only the lines read are split into fields: the intr and softirq lines hold one counter per interrupt (thousands
    // of fields on a large host), the bulk of what splitting every line allocated each cycle.
    if (!WANTED.test(line)) continue;
    const parts = line.trim().split(/\s+/);
    const key = parts[0] ?? '';
    if (key.startsWith('cpu')) {
      const n = parts.slice(1).map(Number);
      // guest/guest_nice are already included in user/nice, so they are not added again.
      const t: CpuTimes = {
        user: n[0] ?? 0,
        nice: n[1] ?? 0,
        system: n[2] ?? 0,
        idle: n[3] ?? 0,
        iowait: n[4] ?? 0,
        irq: n[5] ?? 0,
        softirq: n[6] ?? 0,
        steal: n[7] ?? 0,
      };
      if (key === 'cpu') total = t;
      else cores[key.slice(3)] = t;
    } else if (key === 'procs_running') running = Number(parts[1]);
    else if (key === 'procs_blocked') blocked = Number(parts[1]);
    else if (key === 'btime') bootTimeS = Number(parts[1]);
  }
  if (!total) throw new Error('/proc/stat has no aggregate cpu line');
  return { total, cores, running, blocked, bootTimeS };
}

/** Total ticks of a CpuTimes record. */
export function ticks(t: CpuTimes): number {
  return t.user + t.nice + t.system + t.idle + t.iowait + t.irq + t.softirq + t.steal;
}

/** Parses /proc/loadavg: "0.52 0.58 0.59 2/345 12345". */
export function parseLoadavg(text: string): { load1: number; load5: number; load15: number } {
  const [a, b, c] = text.trim().split(/\s+/).map(Number);
  if (![a, b, c].every((x) => Number.isFinite(x)))
    throw new Error(`unparsable /proc/loadavg: ${truncateCodePoints(text, 60)}`);
  return { load1: a!, load5: b!, load15: c! };
}
