/** Minimal /proc reading for kill-process: a process's comm, state, parent and age. */
import { readFile } from 'node:fs/promises';

export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  runtimeS: number;
  startTicks: number;
}

const CLK_TCK = 100; // USER_HZ is 100 on every Linux ABI Node supports

/** Parses /proc/<pid>/stat (comm may contain spaces and parentheses: split at the LAST ')'). */
export async function readProcStat(procRoot: string, pid: number): Promise<ProcStat | null> {
  try {
    const [stat, uptime] = await Promise.all([
      readFile(`${procRoot}/${pid}/stat`, 'utf8'),
      readFile(`${procRoot}/uptime`, 'utf8'),
    ]);
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    const rest = stat.slice(close + 2).split(' ');
    const startTicks = Number(rest[19]);
    return {
      pid,
      comm: stat.slice(open + 1, close),
      state: rest[0]!,
      ppid: Number(rest[1]),
      runtimeS: Number(uptime.split(' ')[0]) - startTicks / CLK_TCK,
      startTicks,
    };
  } catch {
    return null;
  }
}

/** `pid` and every ancestor up to (and including) pid 1. */
export async function ancestry(procRoot: string, pid: number): Promise<number[]> {
  const chain: number[] = [];
  let cur = pid;
  for (let i = 0; i < 128 && cur > 0 && !chain.includes(cur); i++) {
    chain.push(cur);
    const s = await readProcStat(procRoot, cur);
    if (!s) break;
    cur = s.ppid;
  }
  if (!chain.includes(1)) chain.push(1);
  return chain;
}
