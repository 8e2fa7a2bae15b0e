/**
 * Cutting strings without producing invalid Unicode. `String.prototype.slice` cuts by UTF-16 code unit and can split
 * a surrogate pair, leaving a lone surrogate that the control plane refuses at admission (and that neither SQLite's
 * JSON nor PostgreSQL's jsonb can store). Every place the agent shortens a host or user string uses these instead.
 */

/** True when the code unit at `i` is the low half of a surrogate pair whose high half is at `i - 1`. */
function splitsPair(s: string, i: number): boolean {
  if (i <= 0 || i >= s.length) return false;
  const hi = s.charCodeAt(i - 1);
  const lo = s.charCodeAt(i);
  return hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff;
}

/**
 * At most `maxUnits` UTF-16 code units of `s`, never ending inside a surrogate pair (the pair is left out whole).
 * Lone surrogates already in `s` are replaced by U+FFFD, so the result is always well-formed.
 */
export function truncateCodePoints(s: string, maxUnits: number): string {
  let end = Math.max(0, Math.min(s.length, Math.floor(maxUnits)));
  if (splitsPair(s, end)) end -= 1;
  return toWellFormed(end === s.length ? s : s.slice(0, end));
}

/** Keeps the LAST `maxUnits` code units of `s`, never starting inside a surrogate pair; always well-formed. */
export function truncateCodePointsStart(s: string, maxUnits: number): string {
  let start = Math.max(0, s.length - Math.max(0, Math.floor(maxUnits)));
  if (splitsPair(s, start)) start += 1;
  return toWellFormed(start === 0 ? s : s.slice(start));
}

/** `String.prototype.toWellFormed` (ES2024) for Node 20: every lone surrogate becomes U+FFFD. */
export function toWellFormed(s: string): string {
  let out: string[] | null = null;
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
    }
    (out ??= []).push(s.slice(from, i), '\uFFFD');
    from = i + 1;
  }
  return out === null ? s : out.join('') + s.slice(from);
}
