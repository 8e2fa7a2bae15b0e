/**
 * Healing actions a policy may ask for (`do:`), validated and normalised (durations → ms, sizes → bytes).
 * Whether the host actually permits one is decided by the LOCAL heal config (agent/heal/permit.ts).
 */
import { z } from 'zod';
import { durationMs, bytes } from './units.ts';
import { processMatch } from './condition.ts';

const absPath = z.string().startsWith('/', { message: 'must be an absolute path' }).max(4096);

export const actionSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('restart-service'), service: z.string().min(1).max(256) }),
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
    globs: z.array(z.string().min(1).max(256)).min(1).max(32),
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
    script: z.string().min(1).max(256),
    args: z.array(z.string().max(4096)).max(64).default([]),
    timeout: durationMs.default(30_000),
    env: z
      .record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'environment names are UPPER_SNAKE'), z.string().max(4096))
      .default({}),
  }),
  z.strictObject({
    type: z.literal('notify'),
    message: z.string().min(1).max(2000),
    severity: z.enum(['info', 'warning', 'critical']).default('warning'),
  }),
  z.strictObject({ type: z.literal('cordon'), reason: z.string().min(1).max(2000) }),
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
