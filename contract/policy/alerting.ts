/**
 * The `alerting` section of a policy set: how the agents that run the set turn their continuous anomaly score into
 * alert episodes (`anomaly.started` … `anomaly.ended`; the state machine is contract/models/alerting.ts). Omitted
 * fields, and a set without the section, take the fleet defaults (`DEFAULT_ALERT_SETTINGS`).
 *
 * ```yaml
 * alerting:
 *   anomaly:
 *     enter: 0.5        # a score at or above this counts toward starting an episode, (0, 1]
 *     exit: 0.35        # the episode lasts while the score is at or above this, [0, enter]
 *     minSamples: 2     # consecutive samples at or above `enter` before it starts, 1..10000
 *     minDuration: 0s   # ... spanning at least this long, 0..1d
 *     clearFor: 10m     # the score must stay below `exit` this long before it ends, 0..1d
 *     cooldown: 5m      # no new episode this long after one ended, 0..1d
 * ```
 */
import { z } from 'zod';
import { AlertSettingsSchema, DEFAULT_ALERT_SETTINGS, type AlertSettings } from '../models/alerting.ts';
import { durationMs } from './units.ts';

const DAY = 86_400_000;

const score = (what: string, min: number, minOpen: boolean) =>
  z
    .number({ error: `${what} must be a number in ${minOpen ? '(' : '['}${min}, 1]` })
    .refine((v) => (minOpen ? v > min : v >= min) && v <= 1, {
      message: `${what} must be in ${minOpen ? '(' : '['}${min}, 1]`,
    });

const boundedDuration = (what: string) =>
  durationMs.refine((ms) => ms <= DAY, { message: `${what} must be between 0s and 1d` });

/** `alerting.anomaly`: every field optional (fleet default); bounds are named in the messages. */
export const anomalyAlertingSchema = z
  .strictObject({
    enter: score('enter', 0, true).optional(),
    exit: score('exit', 0, false).optional(),
    minSamples: z
      .number({ error: 'minSamples must be an integer from 1 to 10000' })
      .int('minSamples must be an integer from 1 to 10000')
      .min(1, 'minSamples must be an integer from 1 to 10000')
      .max(10_000, 'minSamples must be an integer from 1 to 10000')
      .optional(),
    minDuration: boundedDuration('minDuration').optional(),
    clearFor: boundedDuration('clearFor').optional(),
    cooldown: boundedDuration('cooldown').optional(),
  })
  .superRefine((a, ctx) => {
    const enter = a.enter ?? DEFAULT_ALERT_SETTINGS.enter;
    const exit = a.exit ?? Math.min(DEFAULT_ALERT_SETTINGS.exit, enter);
    if (exit > enter)
      ctx.addIssue({
        code: 'custom',
        path: ['exit'],
        message: `exit (${exit}) must be at most enter (${enter}): the range is [0, enter] (hysteresis)`,
      });
  });

/** The policy set's `alerting` section. */
export const alertingSchema = z.strictObject({ anomaly: anomalyAlertingSchema.optional() });
export type AlertingSection = z.infer<typeof alertingSchema>;

/**
 * The effective alert settings of a policy set's section (fleet defaults for what it omits). A lowered `enter` pulls
 * the default `exit` down with it, so `{enter: 0.3}` alone is valid.
 */
export function alertSettingsOf(section: AlertingSection | undefined): AlertSettings {
  const a = section?.anomaly ?? {};
  const d = DEFAULT_ALERT_SETTINGS;
  const enter = a.enter ?? d.enter;
  return AlertSettingsSchema.parse({
    enter,
    exit: a.exit ?? Math.min(d.exit, enter),
    minSamples: a.minSamples ?? d.minSamples,
    minDurationMs: a.minDuration ?? d.minDurationMs,
    clearMs: a.clearFor ?? d.clearMs,
    cooldownMs: a.cooldown ?? d.cooldownMs,
  });
}
