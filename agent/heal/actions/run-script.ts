/**
 * run-script: runs an executable that REALLY lies inside `heal.scriptsDir` (realpath check, so a symlink
 * pointing outside is refused), without a shell, with a timeout (the whole process group is killed), a fixed minimal
 * environment ({@link SCRIPT_BASE_ENV}, nothing inherited from the agent) plus only those of the policy's `env` names
 * the local `heal.scriptEnv` allows (checked again here), and stdout/stderr captured up to `heal.scriptOutputBytes`.
 */
import { spawn } from 'node:child_process';
import { access, constants, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ActionSpec } from '../../../contract/policy/schema.ts';
import type { ActionContext, ActionResult } from './context.ts';
import { done, failed, refused } from './context.ts';
import { isWithin } from './safe-path.ts';
import { refusalReason } from '../permit.ts';

/**
 * What every script gets, whatever the policy says: a root-owned PATH without /usr/local (not writable by the
 * services a script heals on most hosts), a UTF-8 C locale and HOME=/ (no user profile, no agent state dir).
 */
export const SCRIPT_BASE_ENV: Readonly<Record<string, string>> = Object.freeze({
  PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
  LANG: 'C.UTF-8',
  HOME: '/',
  HOMEOSTAT_HEAL: '1',
});

/** The script's environment: {@link SCRIPT_BASE_ENV} plus the allowed policy variables; null + reason otherwise. */
export function scriptEnvironment(
  spec: RunScript,
  allowed: readonly string[],
): { env: Record<string, string> } | { refusal: string } {
  const env: Record<string, string> = { ...SCRIPT_BASE_ENV };
  for (const [k, v] of Object.entries(spec.env)) {
    if (!allowed.includes(k) || Object.hasOwn(SCRIPT_BASE_ENV, k))
      return { refusal: `environment variable '${k}' is not allowed by the local heal.scriptEnv` };
    env[k] = v;
  }
  return { env };
}

type RunScript = Extract<ActionSpec, { type: 'run-script' }>;

/** Resolves the script inside the scripts dir or explains why not. */
export async function resolveScript(
  scriptsDir: string | undefined,
  script: string,
): Promise<{ path: string } | { refusal: string }> {
  if (!scriptsDir) return { refusal: 'no heal.scriptsDir configured' };
  if (script.startsWith('/') || script.split('/').includes('..'))
    return { refusal: `script '${script}' must be a relative name without '..'` };
  let dirReal: string, real: string;
  try {
    dirReal = await realpath(scriptsDir);
    real = await realpath(join(scriptsDir, script));
  } catch (e) {
    return { refusal: `script '${script}' not found in '${scriptsDir}' (${(e as NodeJS.ErrnoException).code})` };
  }
  if (!isWithin(real, dirReal) || real === dirReal)
    return { refusal: `script '${script}' resolves to '${real}', outside '${dirReal}'` };
  const st = await stat(real);
  if (!st.isFile()) return { refusal: `'${real}' is not a regular file` };
  try {
    await access(real, constants.X_OK);
  } catch {
    return { refusal: `'${real}' is not executable` };
  }
  return { path: real };
}

export async function runScript(spec: RunScript, ctx: ActionContext): Promise<ActionResult> {
  // defence in depth: execute.ts already checked the permit; the environment must never depend on that alone
  const why = refusalReason(spec, ctx.config);
  if (why) return refused(why);
  const e = scriptEnvironment(spec, ctx.config.scriptEnv);
  if ('refusal' in e) return refused(e.refusal);
  const r = await resolveScript(ctx.config.scriptsDir, spec.script);
  if ('refusal' in r) return refused(r.refusal);
  const cap = ctx.config.scriptOutputBytes;
  ctx.audit.touched(r.path, 'exec');
  return new Promise<ActionResult>((resolve) => {
    const child = spawn(r.path, spec.args, {
      cwd: ctx.config.scriptsDir,
      env: e.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const out = { stdout: '', stderr: '', truncated: false };
    const take = (k: 'stdout' | 'stderr') => (b: Buffer) => {
      const room = cap - Buffer.byteLength(out[k]);
      if (room <= 0) {
        out.truncated = true;
        return;
      }
      out[k] += b.subarray(0, room).toString('utf8');
      if (b.length > room) out.truncated = true;
    };
    child.stdout.on('data', take('stdout'));
    child.stderr.on('data', take('stderr'));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, spec.timeout);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve(failed(`cannot run '${r.path}': ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const data = { script: r.path, code, signal, timedOut, ...out };
      if (timedOut) resolve(failed(`'${spec.script}' timed out after ${spec.timeout} ms`, data));
      else if (code === 0) resolve(done(`'${spec.script}' exited 0`, data));
      else resolve(failed(`'${spec.script}' exited ${code ?? signal}`, data));
    });
  });
}
