/**
 * The thin shell: runs planned actions, one `switch` on the action type. Actions of one policy run in order and
 * stop at the first one that does not succeed. The local config is re-checked here (defence in depth).
 */
import type { PlannedAction } from './decision.ts';
import type { ActionContext, ActionResult } from './actions/context.ts';
import { refused } from './actions/context.ts';
import { refusalReason } from './permit.ts';
import { restartService } from './actions/restart-service.ts';
import { killProcess } from './actions/kill-process.ts';
import { freeDisk } from './actions/free-disk.ts';
import { rotateLog } from './actions/rotate-log.ts';
import { truncateLog } from './actions/truncate-log.ts';
import { dropCaches } from './actions/drop-caches.ts';
import { runScript } from './actions/run-script.ts';
import { notify } from './actions/notify.ts';
import { cordon } from './actions/cordon.ts';

export interface ExecutedAction {
  action: PlannedAction;
  result: ActionResult;
  durationMs: number;
}

/** Runs one action. Never throws: an unexpected error becomes a `failed` result. */
export async function executeAction(a: PlannedAction, ctx: ActionContext): Promise<ActionResult> {
  const why = refusalReason(a.spec, ctx.config);
  if (why) return refused(why);
  const s = a.spec;
  try {
    switch (s.type) {
      case 'restart-service':
        return await restartService(s, ctx);
      case 'kill-process':
        return await killProcess(s, a.targets ?? [], ctx);
      case 'free-disk':
        return await freeDisk(s, ctx);
      case 'rotate-log':
        return await rotateLog(s, ctx);
      case 'truncate-log':
        return await truncateLog(s, ctx);
      case 'drop-caches':
        return await dropCaches(s, ctx);
      case 'run-script':
        return await runScript(s, ctx);
      case 'notify':
        return notify(s);
      case 'cordon':
        return cordon(s);
    }
  } catch (e) {
    return { status: 'failed', detail: `${s.type} threw: ${(e as Error).message}` };
  }
}

/** Runs actions in order; after a non-`done` result the rest of that incident attempt is skipped. */
export async function execute(actions: readonly PlannedAction[], ctx: ActionContext): Promise<ExecutedAction[]> {
  const out: ExecutedAction[] = [];
  const broken = new Set<string>();
  for (const a of actions) {
    const key = `${a.incident}/${a.attempt}`;
    const t0 = ctx.now();
    const result = broken.has(key)
      ? { status: 'failed' as const, detail: 'skipped: an earlier action of this attempt did not succeed' }
      : await executeAction(a, ctx);
    if (result.status !== 'done') broken.add(key);
    out.push({ action: a, result, durationMs: ctx.now() - t0 });
  }
  return out;
}
