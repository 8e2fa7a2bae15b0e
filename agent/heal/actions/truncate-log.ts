/** truncate-log: empties a log file under the allowed dirs (O_NOFOLLOW, ftruncate on the opened descriptor). */
import { constants } from 'node:fs';
import type { ActionSpec } from '../../../contract/policy/schema.ts';
import type { ActionContext, ActionResult } from './context.ts';
import { done } from './context.ts';
import { openLogForAction } from './log-file.ts';

type TruncateLog = Extract<ActionSpec, { type: 'truncate-log' }>;

export async function truncateLog(spec: TruncateLog, ctx: ActionContext): Promise<ActionResult> {
  const opened = await openLogForAction('truncate-log', spec.path, ctx, constants.O_WRONLY);
  if ('status' in opened) return opened;
  try {
    const before = (await opened.fh.stat()).size;
    await opened.fh.truncate(0);
    ctx.audit.touched(opened.real, 'truncate');
    return done(`truncated '${spec.path}' (${before} bytes)`, { freedBytes: before });
  } finally {
    await opened.fh.close();
  }
}
