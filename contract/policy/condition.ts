/**
 * The `when` / `verify` condition language of healing policies (docs/policies.md). A condition is one of:
 * `all: [...]`, `any: [...]`, `not: {...}` (nestable), or a leaf recognised by its key —
 * `feature`, `score`, `service`, `mount`, `process`. Every leaf takes an optional `for:` duration.
 */
import { z } from 'zod';
import { durationMs, bytes } from './units.ts';
import { printable } from '../text.ts';

export const OPS = ['>', '>=', '<', '<=', '==', '!='] as const;
export type Op = (typeof OPS)[number];

/** Process selector: glob on the comm name and/or regular expression on the command line. */
export interface ProcessMatch {
  name?: string;
  cmdline?: string;
}

export type Condition =
  | { kind: 'all'; all: Condition[] }
  | { kind: 'any'; any: Condition[] }
  | { kind: 'not'; not: Condition }
  | { kind: 'feature'; feature: string; op: Op; value: number; forMs: number }
  | { kind: 'score'; score: 'anomaly' | 'disk-failure'; device?: string; op: Op; value: number; forMs: number }
  | { kind: 'service'; service: string; state: 'not-running'; forMs: number }
  | {
      kind: 'mount';
      mount: string;
      freePctBelow?: number;
      freeBytesBelow?: number;
      inodesFreePctBelow?: number;
      forMs: number;
    }
  | {
      kind: 'process';
      process: ProcessMatch;
      cpuPctAbove?: number;
      rssBytesAbove?: number;
      minRuntimeMs: number;
      forMs: number;
    };

const forMs = durationMs.optional().transform((v) => v ?? 0);
const op = z.enum(OPS);

/** Validates a regular expression source (policies come from the network: reject what would not compile). */
export const regexSource = z
  .string()
  .min(1)
  .max(512)
  .check(printable())
  .refine(
    (s) => {
      try {
        new RegExp(s);
        return true;
      } catch {
        return false;
      }
    },
    { message: 'not a valid regular expression' },
  );

export const processMatch = z
  .strictObject({ name: z.string().min(1).max(256).check(printable()).optional(), cmdline: regexSource.optional() })
  .refine((m) => m.name !== undefined || m.cmdline !== undefined, {
    message: 'give name (glob) and/or cmdline (regex)',
  });

const LEAVES = {
  feature: z.strictObject({
    feature: z.string().min(1).max(128).check(printable()),
    op,
    value: z.number(),
    for: forMs,
  }),
  score: z.strictObject({
    score: z.enum(['anomaly', 'disk-failure']),
    device: z.string().max(256).check(printable()).optional(),
    op,
    value: z.number().min(0).max(1),
    for: forMs,
  }),
  service: z.strictObject({
    service: z.string().min(1).max(256).check(printable()),
    state: z.literal('not-running').default('not-running'),
    for: forMs,
  }),
  mount: z
    .strictObject({
      mount: z.string().startsWith('/').max(4096).check(printable()),
      freePctBelow: z.number().min(0).max(100).optional(),
      freeBytesBelow: bytes.optional(),
      inodesFreePctBelow: z.number().min(0).max(100).optional(),
      for: forMs,
    })
    .refine(
      (m) => m.freePctBelow !== undefined || m.freeBytesBelow !== undefined || m.inodesFreePctBelow !== undefined,
      { message: 'give freePctBelow, freeBytesBelow and/or inodesFreePctBelow' },
    ),
  process: z.strictObject({
    process: processMatch,
    cpuPctAbove: z.number().min(0).optional(),
    rssBytesAbove: bytes.optional(),
    minRuntime: durationMs.optional(),
    for: forMs,
  }),
} as const;
const KINDS = ['all', 'any', 'not', ...Object.keys(LEAVES)] as const;

/** Deepest nesting of `all` / `any` / `not` (a leaf alone is depth 1); deeper trees are refused, not recursed into. */
export const MAX_CONDITION_DEPTH = 32;

/** True when `raw` nests all/any/not deeper than {@link MAX_CONDITION_DEPTH}. Iterative: any input depth is safe. */
function nestsTooDeep(raw: object): boolean {
  const stack: [unknown, number][] = [[raw, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null || Array.isArray(node)) continue;
    if (depth > MAX_CONDITION_DEPTH) return true;
    const o = node as Record<string, unknown>;
    if (Object.hasOwn(o, 'not')) stack.push([o['not'], depth + 1]);
    for (const k of ['all', 'any'])
      if (Array.isArray(o[k])) for (const child of o[k] as unknown[]) stack.push([child, depth + 1]);
  }
  return false;
}

/** Zod schema of one condition; issues carry the path of the offending field. */
export const conditionSchema: z.ZodType<Condition> = z.unknown().transform((raw, ctx): Condition => {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    ctx.addIssue({ code: 'custom', message: `a condition is an object with one of: ${KINDS.join(', ')}` });
    return z.NEVER;
  }
  // Checked before recursing: a 10 000-deep `not` chain must be a validation error, not a stack overflow.
  if (nestsTooDeep(raw)) {
    ctx.addIssue({
      code: 'custom',
      message: `conditions nest all/any/not at most ${MAX_CONDITION_DEPTH} levels deep`,
    });
    return z.NEVER;
  }
  const o = raw as Record<string, unknown>;
  const kinds = KINDS.filter((k) => k in o);
  if (kinds.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      message:
        kinds.length === 0
          ? `a condition needs one of: ${KINDS.join(', ')}`
          : `a condition has exactly one kind, found ${kinds.join(' and ')}`,
    });
    return z.NEVER;
  }
  const kind = kinds[0]!;
  const forward = (issues: readonly z.core.$ZodIssue[]) => {
    for (const i of issues) ctx.addIssue({ code: 'custom', message: i.message, path: [...i.path] });
    return z.NEVER;
  };
  if (kind === 'all' || kind === 'any') {
    const r = z.strictObject({ [kind]: z.array(conditionSchema).min(1).max(32) }).safeParse(o);
    if (!r.success) return forward(r.error.issues);
    return kind === 'all' ? { kind, all: r.data[kind] as Condition[] } : { kind, any: r.data[kind] as Condition[] };
  }
  if (kind === 'not') {
    const r = z.strictObject({ not: conditionSchema }).safeParse(o);
    return r.success ? { kind, not: r.data.not } : forward(r.error.issues);
  }
  const r = LEAVES[kind as keyof typeof LEAVES].safeParse(o);
  if (!r.success) return forward(r.error.issues);
  const { for: f, minRuntime, ...rest } = r.data as Record<string, unknown> & { for: number; minRuntime?: number };
  return kind === 'process'
    ? ({ kind, ...rest, minRuntimeMs: minRuntime ?? 0, forMs: f } as Condition)
    : ({ kind, ...rest, forMs: f } as Condition);
});

/** Compares with a policy operator. */
export function compare(a: number, o: Op, b: number): boolean {
  switch (o) {
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '==':
      return a === b;
    case '!=':
      return a !== b;
  }
}
