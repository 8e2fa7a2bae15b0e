/**
 * The agent config's `heal` section: the LOCAL allow-list that has the final word over any policy from the
 * control plane. Stages: options (partial, from the agent config file) → defaults → validated `HealConfig`.
 */
import { z } from 'zod';
import { isAbsolute } from 'node:path';
import { ValidationError, zodIssues } from '../../contract/errors.ts';
import { ACTION_TYPES } from '../../contract/policy/action.ts';
import { durationMs, bytes } from '../../contract/policy/units.ts';
import { DEFAULT_PROTECTED_PROCESSES, forbiddenEnvReason } from '../../contract/policy/lint.ts';

const absPath = z.string().refine(isAbsolute, { message: 'must be an absolute path' });

/** A command the agent supervises itself on hosts without systemd. */
export const supervisedServiceSchema = z.strictObject({
  name: z.string().min(1).max(256),
  /** argv; no shell. */
  command: z.array(z.string()).min(1),
  cwd: absPath.optional(),
  env: z.record(z.string(), z.string()).default({}),
  /** Where the supervisor writes the child's pid (default `<stateDir>/services/<name>.pid`). */
  pidfile: absPath.optional(),
  /** Output of the service is appended here (default: discarded). */
  logFile: absPath.optional(),
  /** Time between SIGTERM and SIGKILL when stopping (default 5s). */
  stopGrace: durationMs.default(5000),
});
export type SupervisedServiceConfig = z.infer<typeof supervisedServiceSchema>;

export const healConfigSchema = z.strictObject({
  /** Master switch (default true). */
  enabled: z.boolean().default(true),
  /** Action types this host allows at all (default: only `notify` and `cordon`, which change nothing locally). */
  allowedActions: z.array(z.enum(ACTION_TYPES as [string, ...string[]])).default(['notify', 'cordon']),
  /** Directories free-disk / rotate-log / truncate-log may touch (and nothing outside them; default none). */
  allowedDirs: z.array(absPath).default([]),
  /** run-script runs only executables inside this directory (default: none → run-script refused). */
  scriptsDir: absPath.optional(),
  /**
   * Process names (comm) never killed, in addition to pid 1, the agent, its ancestors and children and
   * {@link ALWAYS_PROTECTED} (init, systemd, sshd, journald, logind, dbus, container runtimes, kubelet, …).
   */
  protectedProcesses: z.array(z.string().min(1)).default([]),
  /**
   * Environment variable names a policy's run-script `env` may set (default none: a policy that sets any other is
   * refused). Scripts always get only PATH=/usr/sbin:/usr/bin:/sbin:/bin, LANG=C.UTF-8, HOME=/ and HOMEOSTAT_HEAL=1
   * plus these; names that change how programs start (BASH_ENV, LD_*, PATH, IFS, …) cannot be allowed.
   */
  scriptEnv: z
    .array(
      z
        .string()
        .regex(/^[A-Z_][A-Z0-9_]*$/, 'environment names are UPPER_SNAKE')
        .superRefine((n, ctx) => {
          const why = forbiddenEnvReason(n);
          if (why) ctx.addIssue({ code: 'custom', message: why });
        }),
    )
    .max(64)
    .default([]),
  /** Services the agent supervises itself (the supervised ServiceManager backend). */
  services: z.array(supervisedServiceSchema).default([]),
  /** What an action waiting for approval does while the control plane is unreachable (default 'wait'). */
  approvalOfflineFallback: z.enum(['wait', 'skip-and-escalate']).default('wait'),
  /** Guard state, last-known-good policy set and supervised pidfiles live here. */
  stateDir: absPath,
  /** Decision journal (append-only JSON lines, fsync'd, rotated). Default `<stateDir>/heal-journal.jsonl`. */
  journal: z
    .strictObject({
      path: absPath.optional(),
      maxBytes: bytes.default(16 * 1024 * 1024),
      keep: z.number().int().min(1).max(100).default(5),
    })
    .default({ maxBytes: 16 * 1024 * 1024, keep: 5 }),
  /** Host labels the policy selectors match against. */
  labels: z.record(z.string(), z.string()).default({}),
  /** Path written by drop-caches (injectable for tests). */
  dropCachesPath: absPath.default('/proc/sys/vm/drop_caches'),
  /** Output captured from run-script, per stream (default 64 KiB). */
  scriptOutputBytes: bytes.default(64 * 1024),
});
export type HealConfig = z.infer<typeof healConfigSchema>;
export type HealConfigOptions = z.input<typeof healConfigSchema>;

/** Process names protected whatever the config says (contract/policy/lint.ts, shared with the server's lint). */
export const ALWAYS_PROTECTED: readonly string[] = DEFAULT_PROTECTED_PROCESSES;

/** Validates the `heal` section; throws ValidationError naming every bad key (prefixed `heal.`). */
export function loadHealConfig(options: unknown): HealConfig {
  const r = healConfigSchema.safeParse(options);
  if (!r.success)
    throw new ValidationError(
      zodIssues(r.error).map((i) => ({ ...i, path: i.path ? `heal.${i.path}` : 'heal' })),
      'heal config',
    );
  return r.data;
}

/** Journal path after defaults. */
export function journalPath(c: HealConfig): string {
  return c.journal.path ?? `${c.stateDir}/heal-journal.jsonl`;
}
