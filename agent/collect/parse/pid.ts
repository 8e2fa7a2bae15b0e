/** Pure parsers of /proc/[pid]/stat and /proc/[pid]/statm (proc(5)). */

export interface PidStat {
  pid: number;
  comm: string;
  state: string;
  utime: number;
  stime: number;
  numThreads: number;
  startTicks: number;
  rssPages: number;
}

/** Parses /proc/[pid]/stat; comm may contain spaces and parentheses, so fields are counted from the last ')'. */
export function parsePidStat(text: string): PidStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error('unparsable /proc/[pid]/stat');
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state); field k is f[k - 3].
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: f[0] ?? '?',
    utime: Number(f[11]),
    stime: Number(f[12]),
    numThreads: Number(f[17]),
    startTicks: Number(f[19]),
    rssPages: Number(f[21]),
  };
}

/** Parses /proc/[pid]/statm: resident set in pages (second field). */
export function parsePidStatmRss(text: string): number {
  return Number(text.split(' ')[1]);
}
