/** truncate-log: empties a log file under the allowed dirs (O_NOFOLLOW, ftruncate on the opened descriptor). */
import { constants } from 'node:fs';
import type { ActionSpec } from '../policy/schema.ts';
import type { ActionContext, ActionResult } from './context.ts';
import { done, failed, refused } from './context.ts';
import { openLog } from './log-file.ts';
import { PathEscapeError } from './safe-path.ts';

type TruncateLog = Extract<ActionSpec, { type: 'truncate-log' }>;

export async function truncateLog(spec: TruncateLog, ctx: ActionContext): Promise<ActionResult> {
  let opened;
  try {
    opened = await openLog(spec.path, ctx, constants.O_WRONLY);
  } catch (e) {
    return e instanceof PathEscapeError || (e as NodeJS.ErrnoException).code === 'ELOOP'
      ? refused(`truncate-log refused: ${(e as Error).message}`) : failed(`cannot open '${spec.path}': ${(e as Error).message}`);
  }
  try {
    const before = (await opened.fh.stat()).size;
    await opened.fh.truncate(0);
    ctx.audit.touched(opened.real, 'truncate');
    return done(`truncated '${spec.path}' (${before} bytes)`, { freedBytes: before });
  } finally {
    await opened.fh.close();
  }
}
