/**
 * Alerting on an anomaly score: a small state machine, separate from the model, that turns a continuous score in
 * [0, 1] into episodes (`anomaly.started` ... `anomaly.ended`).
 * - An episode starts when the score has been at or above `enter` for `minSamples` consecutive samples spanning at
 *   least `minDurationMs`; it starts at the first of those samples. One extreme sample never starts one.
 * - It ends when the score has stayed below `exit` (hysteresis: exit <= enter) for `clearMs`; a score back at or
 *   above `exit` before then keeps the episode open, so a flapping metric is one episode, not many. The episode's
 *   end is the first of those calm samples.
 * - After an end is declared, no new episode starts for `cooldownMs` (a run of high scores keeps counting and starts
 *   one as soon as the cool-down is over).
 * The agent runs it per host with the policy's or the fleet's settings; benchmarks run it over recorded scores.
 */
import { z } from 'zod';

/** Alert settings: validated, with defaults chosen on the ASD benchmark (docs/models.md). */
export const AlertSettingsSchema = z
  .object({
    enter: z.number().gt(0).max(1).default(0.5),
    exit: z.number().min(0).max(1).default(0.35),
    minSamples: z.number().int().min(1).max(10_000).default(2),
    minDurationMs: z.number().int().min(0).max(86_400_000).default(0),
    clearMs: z.number().int().min(0).max(86_400_000).default(600_000),
    cooldownMs: z.number().int().min(0).max(86_400_000).default(300_000),
  })
  .refine((s) => s.exit <= s.enter, { message: 'exit must be at most enter (hysteresis)', path: ['exit'] });
/** Validated alert settings. */
export type AlertSettings = z.infer<typeof AlertSettingsSchema>;

/** The defaults, for callers that need no configuration. */
export const DEFAULT_ALERT_SETTINGS: AlertSettings = AlertSettingsSchema.parse({});

/** Where the machine is between samples (plain data: it is saved with the agent's state). */
export type AlertState = {
  active: boolean;
  /** Consecutive samples at or above `enter` (idle) and when the run began (ms). */
  run: number;
  runStartMs: number;
  /** When the score first went below `exit` in the current clear run (active), or -1. */
  clearSinceMs: number;
  /** When the current episode started (ms), or -1; and the peak score in it (while idle: in the current run). */
  startedMs: number;
  peak: number;
  /** No episode starts before this time (ms; the last end plus `cooldownMs`); absent in state saved before it. */
  cooldownUntilMs?: number;
};

/** What one sample changed: nothing, an episode started (at `startedMs`), or one ended. */
export type AlertTransition =
  | { kind: 'none' }
  | { kind: 'started'; startedMs: number /** the peak score of the run that started it */; score: number }
  | { kind: 'ended'; startedMs: number; endedMs: number; peak: number };

/** Idle state. */
export function initialAlertState(): AlertState {
  return { active: false, run: 0, runStartMs: -1, clearSinceMs: -1, startedMs: -1, peak: 0 };
}

/** Advances the machine by one sample; pure (returns the next state). A non-finite score counts as 0. */
export function stepAlert(
  s: AlertSettings,
  st: AlertState,
  score: number,
  tsMs: number,
): { state: AlertState; transition: AlertTransition } {
  const v = Number.isFinite(score) ? score : 0;
  if (!st.active) {
    const run = v >= s.enter ? st.run + 1 : 0;
    const runStartMs = run === 1 ? tsMs : run === 0 ? -1 : st.runStartMs;
    // the peak of the run so far (the episode's peak includes the samples before it was declared)
    const peak = run === 0 ? 0 : Math.max(run === 1 ? 0 : st.peak, v);
    const cooling = tsMs < (st.cooldownUntilMs ?? Number.NEGATIVE_INFINITY);
    if (run >= s.minSamples && tsMs - runStartMs >= s.minDurationMs && !cooling) {
      const next = { active: true, run: 0, runStartMs: -1, clearSinceMs: -1, startedMs: runStartMs, peak };
      return { state: next, transition: { kind: 'started', startedMs: runStartMs, score: peak } };
    }
    return { state: { ...st, run, runStartMs, peak }, transition: { kind: 'none' } };
  }
  const peak = Math.max(st.peak, v);
  if (v >= s.exit) return { state: { ...st, clearSinceMs: -1, peak }, transition: { kind: 'none' } };
  const clearSinceMs = st.clearSinceMs < 0 ? tsMs : st.clearSinceMs;
  if (tsMs - clearSinceMs >= s.clearMs) {
    const transition: AlertTransition = { kind: 'ended', startedMs: st.startedMs, endedMs: clearSinceMs, peak };
    return { state: { ...initialAlertState(), cooldownUntilMs: tsMs + s.cooldownMs }, transition };
  }
  return { state: { ...st, clearSinceMs, peak }, transition: { kind: 'none' } };
}

/** Episodes over a recorded score series sampled every `intervalMs` (default 5 minutes), as [first, last] row
 * indexes (inclusive; an episode still open at the end runs to the last row). */
export function alertEpisodes(score: ArrayLike<number>, s: AlertSettings, intervalMs = 300_000): [number, number][] {
  const out: [number, number][] = [];
  let st = initialAlertState();
  for (let i = 0; i < score.length; i++) {
    const r = stepAlert(s, st, score[i]!, i * intervalMs);
    st = r.state;
    if (r.transition.kind === 'ended')
      out.push([r.transition.startedMs / intervalMs, r.transition.endedMs / intervalMs - 1]);
  }
  if (st.active) out.push([st.startedMs / intervalMs, score.length - 1]);
  return out;
}
