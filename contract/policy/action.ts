/**
 * Healing actions a policy may ask for (`do:`), validated and normalised (durations → ms, sizes → bytes).
 * Whether the host actually permits one is decided by the LOCAL heal config (agent/heal/permit.ts).
 */
import { z } from 'zod';
import { durationMs, bytes } from './units.ts';
import { processMatch } from './condition.ts';
import { printable } from '../text.ts';

const absPath = z.string().startsWith('/', { message: 'must be an absolute path' }).max(4096).check(printable());
/** A name (service, script, glob): one line, no control characters. */
const name = (max: number) => z.string().min(1).max(max).check(printable());
/** Free text (messages, reasons, script arguments and environment values): may hold tab and line breaks. */
const freeText = (max: number, min = 0) =>
  z
    .string()
    .min(min)
    .max(max)
    .check(printable({ controls: 'whitespace' }));

export const actionSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('restart-service'), service: name(256) }),
  z.strictObject({
    type: z.literal('kill-process'),
    /** Omitted: the processes matched by the policy's `process` conditions. */
    match: processMatch.optional(),
    minRuntime: durationMs.default(0),
    cpuPctAbove: z.number().min(0).optional(),
    rssBytesAbove: bytes.optional(),
    grace: durationMs.default(5000),
  }),
  z.strictObject({
    type: z.literal('free-disk'),
    dirs: z.array(absPath).min(1).max(32),
    globs: z.array(name(256)).min(1).max(32),
    olderThan: durationMs.default(0),
    maxBytes: bytes,
  }),
  z.strictObject({
    type: z.literal('rotate-log'),
    path: absPath,
    keep: z.number().int().min(0).max(100).default(3),
    copytruncate: z.boolean().default(true),
  }),
  z.strictObject({ type: z.literal('truncate-log'), path: absPath }),
  z.strictObject({
    type: z.literal('drop-caches'),
    level: z.union([z.literal(1), z.literal(2), z.literal(3)]).default(1),
  }),
  z.strictObject({
    type: z.literal('run-script'),
    script: name(256),
    args: z.array(freeText(4096)).max(64).default([]),
    timeout: durationMs.default(30_000),
    env: z
      .record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'environment names are UPPER_SNAKE'), freeText(4096))
      .default({}),
  }),
  z.strictObject({
    type: z.literal('notify'),
    message: freeText(2000, 1),
    severity: z.enum(['info', 'warning', 'critical']).default('warning'),
  }),
  z.strictObject({ type: z.literal('cordon'), reason: freeText(2000, 1) }),
]);

/** A validated action as written in a policy. */
export type ActionSpec = z.infer<typeof actionSchema>;
export type ActionType = ActionSpec['type'];
export const ACTION_TYPES: readonly ActionType[] = [
  'restart-service',
  'kill-process',
  'free-disk',
  'rotate-log',
  'truncate-log',
  'drop-caches',
  'run-script',
  'notify',
  'cordon',
];
