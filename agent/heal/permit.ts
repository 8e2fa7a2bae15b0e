/**
 * The local allow-list check (pure): may this host run this action at all? A policy can never widen what the
 * heal config allows. This is the lexical check; the action shells re-check with realpath/lstat at run time.
 */
import { posix } from 'node:path';
import type { HealConfig } from './config.ts';
import { ALWAYS_PROTECTED } from './config.ts';
import type { ActionSpec, Policy } from '../../contract/policy/schema.ts';
import { forbiddenEnvReason, isProtectedName, scriptNameProblem } from '../../contract/policy/lint.ts';

/** Why an action is refused, or null when permitted. */
export type Refusal = { action: number; type: string; reason: string };

/** True when `p` is `dir` or lies under it, lexically; refuses any `..` segment outright. */
export function lexicallyInside(p: string, dir: string): boolean {
  if (!posix.isAbsolute(p) || p.split('/').includes('..')) return false;
  const a = posix.normalize(p).replace(/\/+$/, '') || '/';
  const d = posix.normalize(dir).replace(/\/+$/, '') || '/';
  return a === d || a.startsWith(d === '/' ? '/' : `${d}/`);
}

function insideAllowed(p: string, config: Pick<HealConfig, 'allowedDirs'>): boolean {
  return config.allowedDirs.some((d) => lexicallyInside(p, d));
}

/** Checks one action against the local config; returns the reason it is refused, or null. */
export function refusalReason(
  a: ActionSpec,
  config: Pick<HealConfig, 'allowedActions' | 'allowedDirs' | 'scriptsDir' | 'protectedProcesses'> & {
    scriptEnv?: readonly string[];
  },
): string | null {
  if (!config.allowedActions.includes(a.type))
    return `action type '${a.type}' is not in the local heal.allowedActions (${config.allowedActions.join(', ') || 'none'})`;
  switch (a.type) {
    case 'free-disk': {
      const bad = a.dirs.find((d) => !insideAllowed(d, config));
      if (bad) return `directory '${bad}' is outside the local heal.allowedDirs`;
      const g = a.globs.find((x) => x.startsWith('/') || x.split('/').includes('..'));
      if (g) return `glob '${g}' must be relative and contain no '..'`;
      return null;
    }
    case 'rotate-log':
    case 'truncate-log':
      return insideAllowed(a.path, config) ? null : `path '${a.path}' is outside the local heal.allowedDirs`;
    case 'run-script': {
      if (!config.scriptsDir) return 'no local heal.scriptsDir is configured';
      const bad = scriptNameProblem(a.script);
      if (bad) return bad;
      for (const name of Object.keys(a.env)) {
        const why = forbiddenEnvReason(name);
        if (why) return why;
        const allowed = config.scriptEnv ?? [];
        if (!allowed.includes(name))
          return `environment variable '${name}' is not in the local heal.scriptEnv (${allowed.join(', ') || 'none allowed'})`;
      }
      return null;
    }
    case 'kill-process': {
      const name = a.match?.name;
      const prot = [...ALWAYS_PROTECTED, ...config.protectedProcesses];
      if (name && isProtectedName(name, prot)) return `process '${name}' is protected`;
      return null;
    }
    case 'restart-service':
    case 'drop-caches':
    case 'notify':
    case 'cordon':
      return null;
  }
}

/** Every refused action of a policy (empty: the policy is fully permitted). */
export function refusals(p: Policy, config: Parameters<typeof refusalReason>[1]): Refusal[] {
  const out: Refusal[] = [];
  p.do.forEach((a, i) => {
    const reason = refusalReason(a, config);
    if (reason) out.push({ action: i, type: a.type, reason });
  });
  return out;
}
