/** Pure parsers of /proc/[pid]/stat and /proc/[pid]/statm (proc(5)). */
import type { Buffer } from 'node:buffer';

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

const SPACE = 0x20;
const CLOSE = 0x29; // ')'
const OPEN = 0x28; // '('

/**
 * {@link parsePidStat} on the raw bytes `buf[0, len)` (what `SysFs.readKept` reads), without splitting the
 * line into some fifty strings: only the command name is decoded, the numbers are read digit by digit. Null when the
 * bytes are not a stat line.
 */
export function parsePidStatBytes(buf: Buffer, len: number): PidStat | null {
  const out: PidStat = { pid: 0, comm: '', state: '', utime: 0, stime: 0, numThreads: 0, startTicks: 0, rssPages: 0 };
  return parsePidStatInto(buf, len, out) ? out : null;
}

/**
 * {@link parsePidStatBytes} into `out` (reused from process to process: no object per process). When the command
 * name's bytes spell `prevComm` (the name this pid had last cycle), that string is kept instead of decoding a new
 * one. False (and `out` partly overwritten) when the bytes are not a stat line.
 */
export function parsePidStatInto(buf: Buffer, len: number, out: PidStat, prevComm?: string): boolean {
  let close = len - 1;
  while (close >= 0 && buf[close] !== CLOSE) close--;
  let open = 0;
  while (open < len && buf[open] !== OPEN) open++;
  if (close < open || open === 0 || close + 2 >= len) return false;
  let pid = 0;
  for (let i = 0; i < open; i++) {
    const c = buf[i]!;
    if (c >= 48 && c <= 57) pid = pid * 10 + c - 48;
  }
  // After ") ": field 3 (state), then space-separated fields 4, 5, ...; the ones read are 14, 15, 20, 22 and 24.
  const state = String.fromCharCode(buf[close + 2]!);
  let utime = Number.NaN,
    stime = Number.NaN,
    numThreads = Number.NaN,
    startTicks = Number.NaN,
    rssPages = Number.NaN;
  let field = 3;
  let i = close + 3;
  while (i < len && field < 24) {
    if (buf[i] !== SPACE) return false;
    i++;
    field++;
    let v = 0;
    let digits = 0;
    const negative = buf[i] === 0x2d;
    if (negative) i++;
    while (i < len && buf[i]! >= 48 && buf[i]! <= 57) {
      v = v * 10 + buf[i]! - 48;
      digits++;
      i++;
    }
    if (digits === 0) return false;
    if (negative) v = -v;
    if (field === 14) utime = v;
    else if (field === 15) stime = v;
    else if (field === 20) numThreads = v;
    else if (field === 22) startTicks = v;
    else if (field === 24) rssPages = v;
  }
  if (field < 24) return false;
  out.pid = pid;
  out.comm =
    prevComm !== undefined && asciiEquals(buf, open + 1, close, prevComm)
      ? prevComm
      : buf.toString('utf8', open + 1, close);
  out.state = state;
  out.utime = utime;
  out.stime = stime;
  out.numThreads = numThreads;
  out.startTicks = startTicks;
  out.rssPages = rssPages;
  return true;
}

/** Whether `buf[from, to)` is ASCII and spells `s` (then decoding it would give `s`). */
function asciiEquals(buf: Buffer, from: number, to: number, s: string): boolean {
  if (to - from !== s.length) return false;
  for (let i = from; i < to; i++) {
    const c = buf[i]!;
    if (c >= 0x80 || c !== s.charCodeAt(i - from)) return false;
  }
  return true;
}

/** Parses /proc/[pid]/statm: resident set in pages (second field). */
export function parsePidStatmRss(text: string): number {
  return Number(text.split(' ')[1]);
}
