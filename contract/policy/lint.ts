/**
 * Static safety checks of a validated policy set that do not depend on the host: the control plane runs them at
 * publish (refusing with 400 and these messages), the web editor shows them before publishing, and the agent runs
 * them again before activating a set (agent/heal/permit.ts adds the host's own allow-list on top). Pure.
 *
 * - paths (`free-disk` dirs and globs, `rotate-log` / `truncate-log` paths) contain no `..` segment;
 * - `run-script` names a script inside the host's scripts dir (relative, no `..`) and sets no environment variable
 *   that changes how a program or shell starts (BASH_ENV, LD_PRELOAD, PATH, …: {@link FORBIDDEN_SCRIPT_ENV});
 * - `kill-process` does not name a protected process ({@link DEFAULT_PROTECTED_PROCESSES});
 * - every regular expression passes {@link regexProblem} (no catastrophic backtracking shapes), and every glob
 *   (free-disk `globs`, process `name`) {@link globProblem} (at most two `*`, no extglobs).
 */
import type { Condition, ProcessMatch } from './condition.ts';
import type { ActionSpec } from './action.ts';
import type { PolicySet } from './schema.ts';
import { regexProblem } from './regex.ts';
import { globProblem } from './glob.ts';
import { ValidationError } from '../errors.ts';

/** One lint finding: the field path (as in ValidationError, e.g. `policies.0.do.1.script`) and the rule broken. */
export interface LintIssue {
  path: string;
  message: string;
}

/**
 * Process names (kernel comm) kill-process never signals, on every host, in addition to pid 1, the agent, its
 * ancestors and its children. comm is cut to 15 characters by the kernel, so both spellings match
 * (see {@link isProtectedName}).
 */
export const DEFAULT_PROTECTED_PROCESSES: readonly string[] = [
  'init',
  'systemd',
  'sshd',
  'systemd-journald',
  'systemd-logind',
  'systemd-udevd',
  'systemd-networkd',
  'systemd-resolved',
  'systemd-timesyncd',
  'dbus-daemon',
  'dbus-broker',
  'dbus-broker-launch',
  'containerd',
  'containerd-shim',
  'containerd-shim-runc-v2',
  'dockerd',
  'docker-proxy',
  'crio',
  'conmon',
  'kubelet',
  'homeostat-agent',
];

/** True when the comm `name` is one of `list` (an entry also matches by its first 15 characters, the comm limit). */
export function isProtectedName(name: string, list: readonly string[]): boolean {
  return list.some((p) => p === name || (p.length > 15 && p.slice(0, 15) === name));
}

/**
 * Environment variables a policy may never set for run-script, whatever the host allows: they change how the
 * dynamic loader, a shell or an interpreter starts (so they turn any allowed script into arbitrary code), or they
 * belong to the fixed environment the agent gives every script.
 */
export const FORBIDDEN_SCRIPT_ENV: readonly string[] = [
  'PATH',
  'HOME',
  'LANG',
  'HOMEOSTAT_HEAL',
  'BASH_ENV',
  'ENV',
  'IFS',
  'SHELLOPTS',
  'BASHOPTS',
  'PS4',
  'CDPATH',
  'GLOBIGNORE',
  'PROMPT_COMMAND',
  'NODE_OPTIONS',
  'PYTHONSTARTUP',
  'PYTHONPATH',
  'PYTHONHOME',
  'PERL5OPT',
  'PERL5LIB',
  'PERLLIB',
  'RUBYOPT',
  'RUBYLIB',
  'JAVA_TOOL_OPTIONS',
  '_JAVA_OPTIONS',
  'GCONV_PATH',
  'HOSTALIASES',
  'LOCALDOMAIN',
  'RESOLV_HOST_CONF',
  'TMPDIR',
  'MALLOC_CHECK_',
  'GIT_SSH',
  'GIT_SSH_COMMAND',
  'GIT_EXEC_PATH',
  'EDITOR',
  'VISUAL',
  'PAGER',
  'SSH_ASKPASS',
  'SUDO_ASKPASS',
];

/** Why run-script may never get this variable, or null. Also used by the agent's local config check. */
export function forbiddenEnvReason(name: string): string | null {
  if (name.startsWith('LD_') || name.startsWith('BASH_FUNC_') || name.startsWith('DYLD_')) {
    return `environment variable '${name}' is never passed to scripts (it changes how programs are loaded)`;
  }
  if (FORBIDDEN_SCRIPT_ENV.includes(name))
    return `environment variable '${name}' is never passed to scripts (it changes how programs start or is fixed by the agent)`;
  return null;
}

const hasDotDot = (p: string) => p.split('/').includes('..');

/** The reason a script name is refused, or null (the same sentence on the server and the agent). */
export function scriptNameProblem(script: string): string | null {
  return script.startsWith('/') || hasDotDot(script)
    ? `script '${script}' must be a name inside heal.scriptsDir (no '/' prefix, no '..')`
    : null;
}

/** Findings for one action at `path` (`policies.N.do.M`). */
export function lintAction(
  a: ActionSpec,
  path: string,
  protectedNames: readonly string[] = DEFAULT_PROTECTED_PROCESSES,
): LintIssue[] {
  const out: LintIssue[] = [];
  switch (a.type) {
    case 'free-disk':
      a.dirs.forEach((d, i) => {
        if (hasDotDot(d)) out.push({ path: `${path}.dirs.${i}`, message: `directory '${d}' must not contain '..'` });
      });
      a.globs.forEach((g, i) => {
        if (g.startsWith('/') || hasDotDot(g))
          out.push({ path: `${path}.globs.${i}`, message: `glob '${g}' must be relative and contain no '..'` });
        const p = globProblem(g);
        if (p) out.push({ path: `${path}.globs.${i}`, message: `glob refused: ${p}` });
      });
      break;
    case 'rotate-log':
    case 'truncate-log':
      if (hasDotDot(a.path)) out.push({ path: `${path}.path`, message: `path '${a.path}' must not contain '..'` });
      break;
    case 'run-script': {
      const s = scriptNameProblem(a.script);
      if (s) out.push({ path: `${path}.script`, message: s });
      for (const name of Object.keys(a.env)) {
        const why = forbiddenEnvReason(name);
        if (why) out.push({ path: `${path}.env.${name}`, message: why });
      }
      break;
    }
    case 'kill-process':
      if (a.match) out.push(...lintProcessMatch(a.match, `${path}.match`));
      if (a.match?.name !== undefined && isProtectedName(a.match.name, protectedNames)) {
        out.push({ path: `${path}.match.name`, message: `process '${a.match.name}' is protected` });
      }
      break;
    case 'restart-service':
    case 'drop-caches':
    case 'notify':
    case 'cordon':
      break;
  }
  return out;
}

function lintProcessMatch(m: ProcessMatch, path: string): LintIssue[] {
  const out: LintIssue[] = [];
  const g = m.name === undefined ? null : globProblem(m.name);
  if (g) out.push({ path: `${path}.name`, message: `glob refused: ${g}` });
  const r = m.cmdline === undefined ? null : regexProblem(m.cmdline);
  if (r) out.push({ path: `${path}.cmdline`, message: `regex refused: ${r}` });
  return out;
}

/** Findings for a condition tree at `path` (`policies.N.when`). Iterative: depth is bounded by the schema anyway. */
export function lintCondition(c: Condition, path: string): LintIssue[] {
  const out: LintIssue[] = [];
  const stack: [Condition, string][] = [[c, path]];
  while (stack.length) {
    const [x, p] = stack.pop()!;
    switch (x.kind) {
      case 'all':
        for (const [i, y] of x.all.entries()) stack.push([y, `${p}.all.${i}`]);
        break;
      case 'any':
        for (const [i, y] of x.any.entries()) stack.push([y, `${p}.any.${i}`]);
        break;
      case 'not':
        stack.push([x.not, `${p}.not`]);
        break;
      case 'process':
        out.push(...lintProcessMatch(x.process, `${p}.process`));
        break;
      default:
        break;
    }
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** Every host-independent finding of a validated set, in document order (empty: nothing to refuse). */
export function lintPolicySet(
  set: PolicySet,
  protectedNames: readonly string[] = DEFAULT_PROTECTED_PROCESSES,
): LintIssue[] {
  const out: LintIssue[] = [];
  set.policies.forEach((p, i) => {
    out.push(...lintCondition(p.when, `policies.${i}.when`));
    for (const [j, a] of p.do.entries()) out.push(...lintAction(a, `policies.${i}.do.${j}`, protectedNames));
    if (p.guards.verify) out.push(...lintCondition(p.guards.verify.condition, `policies.${i}.guards.verify.condition`));
  });
  return out;
}

/** One line per finding, `path: message` (how the server's 400 and the agent's events word them). */
export function formatLintIssues(issues: readonly LintIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('; ');
}

/** Throws `ValidationError` ("invalid policy document: <path>: <rule>; …") when the set has any lint finding. */
export function assertLintClean(set: PolicySet): PolicySet {
  const issues = lintPolicySet(set);
  if (issues.length) throw new ValidationError(issues, 'policy document');
  return set;
}
