/**
 * kill-process: SIGTERM, then SIGKILL after the grace period, to the processes `decide` resolved. Refuses
 * pid ≤ 1, the agent, its whole parent chain and its children, the default protected names (init, systemd, sshd,
 * journald, logind, dbus, container runtimes, kubelet: contract/policy/lint.ts) and `heal.protectedProcesses`, and a
 * pid that now belongs to a different process (other comm, or younger than when it was observed).
 */
import type { ActionSpec } from '../../../contract/policy/schema.ts';
import type { ProcessTarget } from '../evaluate.ts';
import { ALWAYS_PROTECTED } from '../config.ts';
import { isProtectedName } from '../../../contract/policy/lint.ts';
import type { ActionContext, ActionResult } from './context.ts';
import { done, failed, refused } from './context.ts';
import { ancestry, readProcStat } from './proc.ts';

type KillProcess = Extract<ActionSpec, { type: 'kill-process' }>;

/** Why this pid must not be killed, or null. Reads /proc: authoritative, whatever `decide` thought. */
export async function protectedReason(
  ctx: ActionContext,
  t: ProcessTarget,
  protectedChain: number[],
): Promise<string | null> {
  if (!Number.isInteger(t.pid) || t.pid <= 1) return `pid ${t.pid} is never killed`;
  if (protectedChain.includes(t.pid)) return `pid ${t.pid} is the agent or one of its ancestors`;
  const s = await readProcStat(ctx.procRoot, t.pid);
  if (!s) return null; // already gone
  const names = [...ALWAYS_PROTECTED, ...ctx.config.protectedProcesses];
  if (isProtectedName(s.comm, names)) return `process '${s.comm}' (pid ${t.pid}) is protected`;
  // the agent's own children: run-script scripts, supervised services, the model verifier
  if (s.ppid === ctx.selfPid) return `pid ${t.pid} ('${s.comm}') is a child of the agent`;
  if (s.comm !== t.name) return `pid ${t.pid} is now '${s.comm}', not '${t.name}' (pid reused)`;
  if (s.runtimeS + 2 < t.runtimeS) return `pid ${t.pid} is younger than the observed process (pid reused)`;
  return null;
}

async function gone(ctx: ActionContext, pid: number): Promise<boolean> {
  const s = await readProcStat(ctx.procRoot, pid);
  return s === null || s.state === 'Z' || s.state === 'X';
}

export async function killProcess(
  spec: KillProcess,
  targets: ProcessTarget[],
  ctx: ActionContext,
): Promise<ActionResult> {
  const chain = await ancestry(ctx.procRoot, ctx.selfPid);
  const refusedList: string[] = [];
  const killed: { pid: number; signal: string }[] = [];
  const errors: string[] = [];
  for (const t of targets) {
    const why = await protectedReason(ctx, t, chain);
    if (why) {
      refusedList.push(why);
      continue;
    }
    if (await gone(ctx, t.pid)) continue;
    try {
      ctx.kill(t.pid, 'SIGTERM');
      ctx.audit.signalled(t.pid, 'SIGTERM');
      const deadline = ctx.now() + spec.grace;
      while (ctx.now() < deadline && !(await gone(ctx, t.pid))) await ctx.sleep(50);
      if (!(await gone(ctx, t.pid))) {
        ctx.kill(t.pid, 'SIGKILL');
        ctx.audit.signalled(t.pid, 'SIGKILL');
        killed.push({ pid: t.pid, signal: 'SIGKILL' });
      } else killed.push({ pid: t.pid, signal: 'SIGTERM' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') errors.push(`pid ${t.pid}: ${(e as Error).message}`);
    }
  }
  const data = { killed, refused: refusedList, errors };
  if (errors.length) return failed(errors.join('; '), data);
  if (killed.length === 0 && refusedList.length > 0) return refused(refusedList.join('; '), data);
  return done(`killed ${killed.map((k) => `${k.pid} (${k.signal})`).join(', ') || 'nothing (already gone)'}`, data);
}
