/**
 * Path confinement for file-touching actions: a path is usable only when it lies inside an allow-listed
 * directory AFTER resolving symlinks, and no component between that directory and the path is a symlink.
 */
import { lstat, realpath } from 'node:fs/promises';
import { dirname, relative, sep, isAbsolute, resolve } from 'node:path';

/** Thrown when a path escapes its allowed root; `reason` says how. */
export class PathEscapeError extends Error {
  override name = 'PathEscapeError';
  constructor(
    public readonly path: string,
    public readonly reason: string,
  ) {
    super(`'${path}': ${reason}`);
  }
}

/** True when `child` equals `root` or is below it (both already resolved). */
export function isWithin(child: string, root: string): boolean {
  const rel = relative(root, child);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** The realpath of the allowed dir containing `p` lexically, or null. */
async function rootFor(p: string, allowedDirs: readonly string[]): Promise<{ root: string; real: string } | null> {
  for (const d of allowedDirs) {
    if (isWithin(resolve(p), resolve(d))) {
      try {
        return { root: resolve(d), real: await realpath(d) };
      } catch {
        return null;
      }
    }
  }
  return null;
}

/**
 * Resolves `p` (an existing file or directory) for use: refuses `..`, paths outside every allowed dir,
 * and any symlink on the way (including `p` itself). Returns the real path and the real allowed root.
 */
export async function confine(p: string, allowedDirs: readonly string[]): Promise<{ real: string; root: string }> {
  if (!isAbsolute(p) || p.split('/').includes('..'))
    throw new PathEscapeError(p, "must be absolute and contain no '..'");
  const r = await rootFor(p, allowedDirs);
  if (!r) throw new PathEscapeError(p, 'outside the allowed directories');
  // every component from the allowed root down to p must be a real directory/file, never a symlink
  let cur = resolve(p);
  while (isWithin(cur, r.root) && cur !== r.root) {
    const st = await lstat(cur);
    if (st.isSymbolicLink()) throw new PathEscapeError(p, `'${cur}' is a symlink`);
    cur = dirname(cur);
  }
  const real = await realpath(p);
  if (!isWithin(real, r.real)) throw new PathEscapeError(p, `resolves to '${real}', outside '${r.real}'`);
  return { real, root: r.real };
}
