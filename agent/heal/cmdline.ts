/**
 * Command lines for `process: {cmdline: …}` conditions. Read from /proc/<pid>/cmdline only when the active policy
 * set has such a condition, bounded per process ({@link CMDLINE_MAX_BYTES}) and per cycle
 * ({@link CMDLINE_MAX_TOTAL_BYTES}); processes past the cycle budget keep no cmdline (they match on their name).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { Condition, PolicySet } from '../../contract/policy/schema.ts';
import type { ProcessFact } from './types.ts';

export const CMDLINE_MAX_BYTES = 4096;
export const CMDLINE_MAX_TOTAL_BYTES = 2 * 1024 * 1024;

function conditionNeeds(c: Condition): boolean {
  const stack: Condition[] = [c];
  while (stack.length) {
    const x = stack.pop()!;
    if (x.kind === 'all') stack.push(...x.all);
    else if (x.kind === 'any') stack.push(...x.any);
    else if (x.kind === 'not') stack.push(x.not);
    else if (x.kind === 'process' && x.process.cmdline !== undefined) return true;
  }
  return false;
}

/** True when some enabled policy tests a command line (in `when`, `verify` or a kill-process `match`). Pure. */
export function needsCmdline(set: PolicySet | null): boolean {
  if (!set) return false;
  return set.policies.some(
    (p) =>
      p.enabled &&
      (conditionNeeds(p.when) ||
        (p.guards.verify !== undefined && conditionNeeds(p.guards.verify.condition)) ||
        p.do.some((a) => a.type === 'kill-process' && a.match?.cmdline !== undefined)),
  );
}

/**
 * Fills `cmdline` (NUL-separated argv joined by spaces, at most {@link CMDLINE_MAX_BYTES} bytes) of each process, in
 * place. Synchronous reads of a procfs file never block on disk; a vanished process or an empty cmdline (kernel
 * threads) leaves the field unset. Returns the bytes read.
 */
export function readCmdlines(procRoot: string, processes: ProcessFact[], maxTotal = CMDLINE_MAX_TOTAL_BYTES): number {
  const buf = Buffer.allocUnsafe(CMDLINE_MAX_BYTES);
  let total = 0;
  for (const p of processes) {
    if (total >= maxTotal) break;
    let fd: number;
    try {
      fd = openSync(`${procRoot}/${p.pid}/cmdline`, 'r');
    } catch {
      continue;
    }
    try {
      const n = readSync(fd, buf, 0, Math.min(CMDLINE_MAX_BYTES, maxTotal - total), 0);
      total += n;
      let end = n;
      while (end > 0 && buf[end - 1] === 0) end--;
      // a cut mid-character decodes to U+FFFD: the text stays well-formed
      if (end > 0) p.cmdline = buf.toString('utf8', 0, end).replaceAll('\u0000', ' ');
    } catch {
      // exited between open and read
    } finally {
      closeSync(fd);
    }
  }
  return total;
}
