/**
 * Bounds on the globs a policy gives the agent (free-disk `globs`, process `name`): they run on picomatch, which
 * compiles a glob to a backtracking regular expression. Each `*` becomes a lazy `[^/]*?`, so k stars cost up to
 * n^k steps on a name of n characters: `*?*?…*?x` (16 stars) froze an agent's event loop for over 30 s on one
 * 36-character file name. Two stars cost at most 255² steps on the longest file name; extglobs (`+(…)`, `*(…)`, …)
 * nest quantifiers and are refused outright. Pure.
 */

/** At most this many `*` runs in one glob (`**` counts once). */
export const MAX_GLOB_STARS = 2;
/** At most this many characters in one glob. */
export const MAX_GLOB_LENGTH = 256;

/** Why `glob` is refused, or null when it is within the bounds above. */
export function globProblem(glob: string): string | null {
  if (glob.length > MAX_GLOB_LENGTH) return `glob longer than ${MAX_GLOB_LENGTH} characters`;
  if (/[@!?+*]\(/.test(glob)) return 'extglob patterns (@(…), !(…), ?(…), +(…), *(…)) are not allowed';
  const stars = glob.match(/\*+/g)?.length ?? 0;
  if (stars > MAX_GLOB_STARS)
    return `${stars} '*' wildcards; at most ${MAX_GLOB_STARS} per glob (each one multiplies the matching cost)`;
  return null;
}
