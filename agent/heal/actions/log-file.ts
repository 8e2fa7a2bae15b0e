/**
 * Opening a log file for rotate-log / truncate-log: confined to the allowed dirs, never through a symlink, and never
 * a file with more than one hard link (a link inside an allowed dir to a file outside it would escape confinement).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { constants } from 'node:fs';
import { failed, refused, type ActionContext, type ActionResult } from './context.ts';
import { confine, PathEscapeError } from './safe-path.ts';

/** Opens `path` (O_NOFOLLOW) after confinement; throws PathEscapeError or a node errno error. */
export async function openLog(
  path: string,
  ctx: ActionContext,
  flags: number,
): Promise<{ fh: FileHandle; real: string }> {
  const { real } = await confine(path, ctx.config.allowedDirs);
  const fh = await open(real, flags | constants.O_NOFOLLOW);
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    throw new Error(`'${path}' is not a regular file`);
  }
  // checked on the opened descriptor, so a link made after the check cannot matter for this file
  if (st.nlink > 1) {
    await fh.close();
    throw new PathEscapeError(path, `has ${st.nlink} hard links (files with more than one are refused)`);
  }
  return { fh, real };
}

/**
 * {@link openLog} for an action: an escape attempt (outside the allowed dirs, a symlink) becomes a `refused` result,
 * any other open error a `failed` one, named after `action`.
 */
export async function openLogForAction(
  action: string,
  path: string,
  ctx: ActionContext,
  flags: number,
): Promise<{ fh: FileHandle; real: string } | ActionResult> {
  try {
    return await openLog(path, ctx, flags);
  } catch (e) {
    return e instanceof PathEscapeError || (e as NodeJS.ErrnoException).code === 'ELOOP'
      ? refused(`${action} refused: ${(e as Error).message}`)
      : failed(`cannot open '${path}': ${(e as Error).message}`);
  }
}
