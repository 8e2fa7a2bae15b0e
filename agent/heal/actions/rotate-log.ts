/**
 * rotate-log: `<log>` → `<log>.1` → … → `<log>.<keep>` (older ones dropped). With `copytruncate` (default) the
 * content is copied to `<log>.1` and the original truncated in place, so writers holding the file open keep
 * working; otherwise the file is renamed and the writer must reopen. `keep: 0` just truncates (or unlinks).
 */
import { constants } from 'node:fs';
import { lstat, open, rename, unlink } from 'node:fs/promises';
import type { ActionSpec } from '../../../contract/policy/schema.ts';
import type { ActionContext, ActionResult } from './context.ts';
import { done, failed } from './context.ts';
import { openLogForAction } from './log-file.ts';

type RotateLog = Extract<ActionSpec, { type: 'rotate-log' }>;

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

export async function rotateLog(spec: RotateLog, ctx: ActionContext): Promise<ActionResult> {
  const opened = await openLogForAction('rotate-log', spec.path, ctx, constants.O_RDWR);
  if ('status' in opened) return opened;
  const { fh, real } = opened;
  try {
    const size = (await fh.stat()).size;
    if (spec.keep === 0) {
      if (spec.copytruncate) {
        await fh.truncate(0);
        ctx.audit.touched(real, 'truncate');
      } else {
        await unlink(real);
        ctx.audit.touched(real, 'unlink');
      }
      return done(`dropped '${spec.path}' (${size} bytes, keep 0)`, { freedBytes: size });
    }
    // rename replaces a symlink itself (never its target), so shifting generations cannot escape
    if (await exists(`${real}.${spec.keep}`)) {
      await unlink(`${real}.${spec.keep}`);
      ctx.audit.touched(`${real}.${spec.keep}`, 'unlink');
    }
    for (let i = spec.keep - 1; i >= 1; i--) {
      if (await exists(`${real}.${i}`)) {
        await rename(`${real}.${i}`, `${real}.${i + 1}`);
        ctx.audit.touched(`${real}.${i}`, 'rename');
      }
    }
    if (!spec.copytruncate) {
      await rename(real, `${real}.1`);
      ctx.audit.touched(real, 'rename');
      return done(`rotated '${spec.path}' (${size} bytes) by rename`, { rotatedBytes: size });
    }
    const dest = await open(
      `${real}.1`,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o640,
    );
    ctx.audit.touched(`${real}.1`, 'write');
    try {
      const buf = Buffer.allocUnsafe(1 << 20);
      let pos = 0;
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) break;
        await dest.write(buf, 0, bytesRead);
        pos += bytesRead;
      }
      await dest.sync();
    } finally {
      await dest.close();
    }
    await fh.truncate(0);
    ctx.audit.touched(real, 'truncate');
    return done(`rotated '${spec.path}' (${size} bytes) by copytruncate, keeping ${spec.keep}`, { rotatedBytes: size });
  } catch (e) {
    return failed(`rotating '${spec.path}' failed: ${(e as Error).message}`);
  } finally {
    await fh.close();
  }
}
