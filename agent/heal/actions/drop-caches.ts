/** drop-caches: writes 1 (page cache), 2 (dentries+inodes) or 3 (both) to /proc/sys/vm/drop_caches (root only). */
import { writeFile } from 'node:fs/promises';
import type { ActionSpec } from '../../../contract/policy/schema.ts';
import type { ActionContext, ActionResult } from './context.ts';
import { done, failed, unavailable } from './context.ts';

type DropCaches = Extract<ActionSpec, { type: 'drop-caches' }>;

export async function dropCaches(spec: DropCaches, ctx: ActionContext): Promise<ActionResult> {
  const path = ctx.config.dropCachesPath;
  try {
    // 'r+' : never create the file (a missing /proc entry is "unavailable", not something to make up)
    await writeFile(path, `${spec.level}\n`, { flag: 'r+' });
    ctx.audit.touched(path, 'write');
    return done(`dropped caches (level ${spec.level})`);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOENT')
      return unavailable(`cannot write '${path}' (${code}): needs root and a writable /proc/sys`);
    return failed(`writing '${path}' failed: ${(e as Error).message}`);
  }
}
