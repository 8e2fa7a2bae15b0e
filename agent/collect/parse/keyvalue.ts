/** Pure parsers of "key value [unit]" files: /proc/meminfo, /proc/vmstat. */

/**
 * Parses /proc/meminfo into bytes (values in kB are multiplied by 1024). With `keys`, only those keys are parsed (the
 * others are absent): the collector reads 8 of some 55 lines every cycle, and a regex match per line was garbage.
 */
export function parseMeminfo(text: string, keys?: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  if (keys) {
    for (const line of linesStartingWith(text, keys, ':')) meminfoLine(line, out);
    return out;
  }
  for (const line of text.split('\n')) meminfoLine(line, out);
  return out;
}

function meminfoLine(line: string, out: Record<string, number>): void {
  const m = /^([\w()]+):\s+(\d+)(\s+kB)?/.exec(line);
  if (m) out[m[1]!] = Number(m[2]) * (m[3] ? 1024 : 1);
}

/** Parses /proc/vmstat ("name value" per line). With `keys`, only those counters (of some 180) are parsed. */
export function parseVmstat(text: string, keys?: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of keys ? linesStartingWith(text, keys, ' ') : text.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0) out[line.slice(0, sp)] = Number(line.slice(sp + 1));
  }
  return out;
}

/** The lines of `text` (in file order) that begin with one of `keys` followed by `sep`; nothing else is sliced out. */
function linesStartingWith(text: string, keys: readonly string[], sep: string): string[] {
  const out: string[] = [];
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    for (const k of keys) {
      if (end - start > k.length && text.startsWith(k, start) && text[start + k.length] === sep) {
        out.push(text.slice(start, end));
        break;
      }
    }
    start = end + 1;
  }
  return out;
}
