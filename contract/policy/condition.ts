/**
 * The `when` / `verify` condition language of healing policies (docs/policies.md). A condition is one of:
 * `all: [...]`, `any: [...]`, `not: {...}` (nestable), or a leaf recognised by its key —
 * `feature`, `score`, `service`, `mount`, `process`. Every leaf takes an optional `for:` duration.
 */
import { z } from 'zod';
import { durationMs, bytes } from './units.ts';

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
  .strictObject({ name: z.string().min(1).max(256).optional(), cmdline: regexSource.optional() })
  .refine((m) => m.name !== undefined || m.cmdline !== undefined, {
    message: 'give name (glob) and/or cmdline (regex)',
  });

const LEAVES = {
  feature: z.strictObject({ feature: z.string().min(1).max(128), op, value: z.number(), for: forMs }),
  score: z.strictObject({
    score: z.enum(['anomaly', 'disk-failure']),
    device: z.string().optional(),
    op,
    value: z.number().min(0).max(1),
    for: forMs,
  }),
  service: z.strictObject({
    service: z.string().min(1).max(256),
    state: z.literal('not-running').default('not-running'),
    for: forMs,
  }),
  mount: z
    .strictObject({
      mount: z.string().startsWith('/'),
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

/** Zod schema of one condition; issues carry the path of the offending field. */
export const conditionSchema: z.ZodType<Condition> = z.unknown().transform((raw, ctx): Condition => {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    ctx.addIssue({ code: 'custom', message: `a condition is an object with one of: ${KINDS.join(', ')}` });
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
