/**
 * Loads the agent config in stages: YAML file → `HOMEOSTAT_AGENT_*` env overrides → explicit options → defaults →
 * validation. Every problem is reported at once, each naming the key, the value given and what is allowed.
 */
import { redactForMessage } from '../../contract/redact.ts';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ValidationError } from '../../contract/errors.ts';
import { agentConfigSchema, type AgentConfig } from './schema.ts';

export const ENV_PREFIX = 'HOMEOSTAT_AGENT_';

/** Thrown when the config is invalid; `issues` has one entry per problem. */
export class AgentConfigError extends ValidationError {
  override name = 'AgentConfigError';
  constructor(issues: { path: string; message: string }[]) {
    super(issues, 'agent config');
  }
}

/** Sources of the config. `env` defaults to process.env; `file` is optional (a missing named file is an error). */
export type LoadOptions = {
  file?: string;
  env?: Record<string, string | undefined>;
  overrides?: Record<string, unknown>;
};

/** Reads, merges and validates; throws {@link AgentConfigError} listing every problem. */
export function loadAgentConfig(options: LoadOptions = {}): AgentConfig {
  const issues: { path: string; message: string }[] = [];
  let fromFile: Record<string, unknown> = {};
  if (options.file) {
    try {
      const parsed: unknown = parseYaml(readFileSync(options.file, 'utf8'));
      if (parsed != null && (typeof parsed !== 'object' || Array.isArray(parsed)))
        issues.push({ path: '', message: `${options.file}: top level must be a mapping` });
      else fromFile = (parsed ?? {}) as Record<string, unknown>;
    } catch (err) {
      issues.push({ path: '', message: `${options.file}: ${(err as Error).message}` });
    }
  }
  const merged = deepMerge(deepMerge(fromFile, envOverrides(options.env ?? process.env)), options.overrides ?? {});
  const result = agentConfigSchema.safeParse(merged);
  if (!result.success) issues.push(...describeIssues(result.error, merged));
  if (issues.length) throw new AgentConfigError(issues);
  return result.data!;
}

/**
 * `HOMEOSTAT_AGENT_OUTBOX__MAX_BYTES=1000` → `{ outbox: { maxBytes: 1000 } }`: `__` nests, `_` joins camelCase words.
 * Values are YAML scalars or flow collections (`[nginx, redis]`, `{role: db}`).
 */
export function envOverrides(env: Record<string, string | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined || name === `${ENV_PREFIX}CONFIG`) continue;
    const path = name.slice(ENV_PREFIX.length).split('__').map(camel);
    let value: unknown = raw;
    try {
      value = parseYaml(raw);
    } catch {
      /* keep the raw string; the schema reports it */
    }
    let node = out;
    for (const k of path.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
    node[path[path.length - 1]!] = value;
  }
  return out;
}

const camel = (s: string) => s.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) continue;
    const prev = out[k];
    out[k] = isPlain(prev) && isPlain(v) ? deepMerge(prev, v) : v;
  }
  return out;
}
const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function describeIssues(error: z.ZodError, input: unknown): { path: string; message: string }[] {
  return error.issues.flatMap((issue) => {
    const at = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeys(at);
      return issue.keys.map((k) => ({
        path: [...at, k].join('.'),
        message: `unknown key (value ${show([...at, k], valueAt(input, [...at, k]))}); allowed keys: ${allowed.join(', ')}`,
      }));
    }
    // a record key that failed its schema: that schema's message, not zod's generic "Invalid key in record"
    const message =
      issue.code === 'invalid_key' ? `invalid key: ${issue.issues.map((i) => i.message).join('; ')}` : issue.message;
    return [{ path: at.join('.'), message: `${message} (got ${show(at, valueAt(input, at))})` }];
  });
}

function valueAt(input: unknown, path: string[]): unknown {
  return path.reduce<unknown>(
    (node, k) => (isPlain(node) || Array.isArray(node) ? (node as Record<string, unknown>)[k] : undefined),
    input,
  );
}
/** The refused value for the message, without the secrets in it (contract/redact.ts). */
const show = (at: string[], v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(redactForMessage(at, v)));

/** Keys the schema allows at a path (unwrapping defaults/optionals). */
function allowedKeys(path: string[]): string[] {
  let node: unknown = agentConfigSchema;
  for (const k of [...path, null]) {
    while ((node as { _zod?: { def?: { innerType?: unknown } } })._zod?.def?.innerType)
      node = (node as { _zod: { def: { innerType: unknown } } })._zod.def.innerType;
    const shape = (node as { shape?: Record<string, unknown> }).shape;
    if (!shape) return [];
    if (k === null) return Object.keys(shape);
    node = shape[k];
  }
  return [];
}
