/** Opening a log file for rotate-log / truncate-log: confined to the allowed dirs, never through a symlink. */
import { open, type FileHandle } from 'node:fs/promises';
import { constants } from 'node:fs';
import type { ActionContext } from './context.ts';
import { confine } from './safe-path.ts';

/** Opens `path` (O_NOFOLLOW) after confinement; throws PathEscapeError or a node errno error. */
export async function openLog(path: string, ctx: ActionContext, flags: number): Promise<{ fh: FileHandle; real: string }> {
  const { real } = await confine(path, ctx.config.allowedDirs);
  const fh = await open(real, flags | constants.O_NOFOLLOW);
  const st = await fh.stat();
  if (!st.isFile()) { await fh.close(); throw new Error(`'${path}' is not a regular file`); }
  return { fh, real };
}
