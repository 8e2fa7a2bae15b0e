/**
 * free-disk: deletes regular files matching globs and older than an age under allow-listed directories,
 * oldest first, never more than `maxBytes` in total. Symlinks are never followed nor deleted; every candidate's
 * parent is realpath-checked again right before unlink and the file re-lstat'ed (same inode, still regular).
 */
import { lstat, readdir, realpath, unlink } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import picomatch from 'picomatch';
import type { ActionSpec } from '../../../contract/policy/schema.ts';
import type { ActionContext, ActionResult } from './context.ts';
import { done, refused } from './context.ts';
import { confine, isWithin, PathEscapeError } from './safe-path.ts';

type FreeDisk = Extract<ActionSpec, { type: 'free-disk' }>;
interface Candidate {
  path: string;
  root: string;
  size: number;
  mtimeMs: number;
  ino: number;
  dev: number;
}

const MAX_DEPTH = 32;
const MAX_ENTRIES = 200_000;

async function scan(
  dir: string,
  root: string,
  match: (rel: string) => boolean,
  cutoff: number,
  out: Candidate[],
  depth = 0,
  seen = { n: 0 },
): Promise<void> {
  if (depth > MAX_DEPTH) return;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (++seen.n > MAX_ENTRIES) return;
    const p = join(dir, name);
    let st: Awaited<ReturnType<typeof lstat>>;
    try {
      st = await lstat(p);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) continue;
    if (st.isDirectory()) await scan(p, root, match, cutoff, out, depth + 1, seen);
    else if (st.isFile() && st.mtimeMs <= cutoff && match(relative(root, p))) {
      out.push({ path: p, root, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, dev: st.dev });
    }
  }
}

export async function freeDisk(spec: FreeDisk, ctx: ActionContext): Promise<ActionResult> {
  const match = picomatch(spec.globs, { basename: true, dot: true });
  const cutoff = ctx.now() - spec.olderThan;
  const candidates: Candidate[] = [];
  const refusedDirs: string[] = [];
  for (const d of spec.dirs) {
    try {
      const { real } = await confine(d, ctx.config.allowedDirs);
      await scan(real, real, match, cutoff, candidates);
    } catch (e) {
      if (e instanceof PathEscapeError) refusedDirs.push(e.message);
      else if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  if (refusedDirs.length === spec.dirs.length) return refused(`no usable directory: ${refusedDirs.join('; ')}`);
  candidates.sort((a, b) => a.mtimeMs - b.mtimeMs || a.path.localeCompare(b.path));
  let freed = 0;
  const deleted: string[] = [];
  for (const c of candidates) {
    if (freed + c.size > spec.maxBytes) continue;
    try {
      // re-check right before unlink: the parent still resolves inside the root, the file is the one we saw
      const parent = await realpath(dirname(c.path));
      if (!isWithin(parent, c.root) || parent !== dirname(c.path)) continue;
      const st = await lstat(c.path);
      if (!st.isFile() || st.ino !== c.ino || st.dev !== c.dev) continue;
      await unlink(c.path);
      ctx.audit.touched(c.path, 'unlink');
      freed += c.size;
      deleted.push(c.path);
    } catch {
      /* vanished or not permitted: skip */
    }
  }
  return done(`deleted ${deleted.length} file(s), ${freed} bytes`, {
    freedBytes: freed,
    deleted: deleted.slice(0, 100),
    refusedDirs,
  });
}
