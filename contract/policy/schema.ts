/**
 * The healing policy schema, shared by the agent and the control plane (docs/policies.md).
 *
 * ```yaml
 * version: "2024-06-01"
 * policies:
 *   - name: restart-nginx
 *     selector: { matchLabels: { role: web } }
 *     priority: 10
 *     when: { service: nginx, for: 10s }
 *     do: [ { type: restart-service, service: nginx } ]
 *     guards: { cooldown: 1m, maxRunsPerHour: 6, maxAttempts: 3, verify: { within: 30s, condition: { not: { service: nginx } } } }
 * ```
 */
import { z } from 'zod';
import { Lexer, parse as parseYaml } from 'yaml';
import { ValidationError, zodIssues } from '../errors.ts';
import { conditionSchema } from './condition.ts';
import { actionSchema } from './action.ts';
import { selectorSchema } from './selector.ts';
import { durationMs } from './units.ts';
import { alertingSchema } from './alerting.ts';
import { printable } from '../text.ts';

export { conditionSchema, compare, OPS } from './condition.ts';
export type { Condition, Op, ProcessMatch } from './condition.ts';
export { actionSchema, ACTION_TYPES } from './action.ts';
export type { ActionSpec, ActionType } from './action.ts';
export { selectorSchema, selectorMatches } from './selector.ts';
export { alertingSchema, alertSettingsOf } from './alerting.ts';
export type { AlertingSection } from './alerting.ts';
export type { Selector } from './selector.ts';

/** Guards limiting how and how often a policy acts. Defaults: no cooldown/limits, no verify, no approval, live. */
export const guardsSchema = z.strictObject({
  /** Minimum time between two executions of this policy (default 0). */
  cooldown: durationMs.default(0),
  /** At most this many executions in any rolling hour (default unlimited). */
  maxRunsPerHour: z.number().int().positive().optional(),
  /** Attempts per incident; then one `heal.escalated` event and no more tries until the incident clears. */
  maxAttempts: z.number().int().positive().optional(),
  /** A condition that must hold within `within` after the actions ran, or the attempt counts as failed. */
  verify: z.strictObject({ within: durationMs, condition: conditionSchema }).optional(),
  /** Wait for an `approval` command before acting. */
  requireApproval: z.boolean().default(false),
  /** Decide and journal, never act. */
  dryRun: z.boolean().default(false),
});

export const policySchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[a-z0-9][a-z0-9._-]*$/i, 'names use letters, digits and . _ -'),
  description: z
    .string()
    .max(2000)
    .check(printable({ controls: 'whitespace' }))
    .optional(),
  enabled: z.boolean().default(true),
  /** Higher wins when two policies act on the same target in the same cycle (default 0). */
  priority: z.number().int().default(0),
  selector: selectorSchema.optional(),
  when: conditionSchema,
  do: z.array(actionSchema).min(1).max(16),
  guards: guardsSchema.default(() => guardsSchema.parse({})),
});

export const policySetSchema = z
  .strictObject({
    /** Opaque version label of the set (the control plane's bundle version). */
    version: z.string().max(128).check(printable()).optional(),
    /** How the hosts running this set alert on their anomaly score (contract/policy/alerting.ts; default: fleet). */
    alerting: alertingSchema.optional(),
    policies: z.array(policySchema).max(500),
  })
  .superRefine((set, ctx) => {
    const seen = new Map<string, number>();
    set.policies.forEach((p, i) => {
      if (seen.has(p.name))
        ctx.addIssue({
          code: 'custom',
          message: `duplicate policy name '${p.name}' (also policies.${seen.get(p.name)})`,
          path: ['policies', i, 'name'],
        });
      else seen.set(p.name, i);
    });
  });

export type Guards = z.infer<typeof guardsSchema>;
export type Policy = z.infer<typeof policySchema>;
export type PolicySet = z.infer<typeof policySetSchema>;

/**
 * Parses a policy document (YAML or JSON text) into a validated policy set.
 * Throws `ValidationError` listing every issue with its field path (e.g. `policies.0.when.op`).
 */
export function parsePolicyDocument(text: string, format: 'yaml' | 'json'): PolicySet {
  if (format === 'yaml' && yamlFlowTooDeep(text))
    throw new ValidationError(
      [{ path: '', message: `YAML flow collections ([ ] and { }) nest at most ${MAX_YAML_FLOW_DEPTH} levels deep` }],
      'policy document',
    );
  let raw: unknown;
  try {
    // logLevel error: a document's YAML warnings (an unknown tag) are not the process's to print on stderr
    raw = format === 'json' ? JSON.parse(text) : parseYaml(text, { logLevel: 'error' });
  } catch (e) {
    throw new ValidationError(
      [{ path: '', message: `not valid ${format.toUpperCase()}: ${(e as Error).message.split('\n')[0]}` }],
      'policy document',
    );
  }
  return validatePolicySet(raw);
}

/** Deepest nesting of YAML flow collections accepted: room for the deepest condition written in flow style. */
export const MAX_YAML_FLOW_DEPTH = 128;

/**
 * True when the flow collections of `text` nest deeper than {@link MAX_YAML_FLOW_DEPTH}. The YAML composer takes
 * seconds and a gigabyte on a megabyte of `[`; its lexer (which knows quotes, comments and block scalars) stops at
 * the first level too deep. Skipped when the text holds too few brackets to get there.
 */
function yamlFlowTooDeep(text: string): boolean {
  let brackets = 0;
  for (let i = 0; i < text.length && brackets <= MAX_YAML_FLOW_DEPTH; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) brackets++; // [ {
  }
  if (brackets <= MAX_YAML_FLOW_DEPTH) return false;
  let depth = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === '[' || token === '{') {
      if (++depth > MAX_YAML_FLOW_DEPTH) return true;
    } else if (token === ']' || token === '}') depth--;
  }
  return false;
}

/** Validates an already-decoded policy set value (e.g. a bundle's `policies` field). Throws `ValidationError`. */
export function validatePolicySet(raw: unknown): PolicySet {
  const r = policySetSchema.safeParse(raw);
  if (!r.success) throw new ValidationError(zodIssues(r.error), 'policy document');
  return r.data;
}
