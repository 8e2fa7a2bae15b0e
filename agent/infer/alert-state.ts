/**
 * The agent's anomaly alert: score and alert are two things. The model gives a continuous score in [0, 1] every
 * cycle (ranking, charts); this state machine (contract/models/alerting.ts, the same code the benchmarks run) turns
 * it into alert episodes and the two events the control plane opens and resolves incidents from:
 *
 * ```
 *            score >= enter for minSamples samples spanning minDuration (and not cooling down)
 *   idle ───────────────────────────────────────────────────────────────────────────────▶ active
 *     ▲         emits anomaly.started {peak, top contributions at the peak, startedAt}        │
 *     │                                                                                      │ score >= exit: stays
 *     └──────────────── score < exit for clearFor: emits anomaly.ended {duration, peak} ◀────┘
 *                       then no new episode for `cooldown`
 * ```
 *
 * A single-sample spike never starts an episode (minSamples ≥ 2 by default; 1 only when a policy asks for it).
 * Settings come from the policy set the host runs (`alerting.anomaly`, contract/policy/alerting.ts) or the fleet
 * defaults; a change of settings applies from the next sample and keeps the current episode. Pure: time is the
 * samples' own timestamps, state is plain data saved with the agent's inference state.
 */
import {
  DEFAULT_ALERT_SETTINGS,
  initialAlertState,
  stepAlert,
  type AlertSettings,
  type AlertState,
} from '../../contract/models/alerting.ts';
import { eventBody, type TypedEventBody } from '../../contract/protocol/events.ts';

/** One feature's part in a score, as the events carry it. */
export type AlertContribution = { feature: string; contribution: number; ratio: number | null };

/** What is saved between runs: the machine's state and the contributions at the episode's peak. */
export type AnomalyAlertState = AlertState & { peakTop: AlertContribution[] };

/** An alert event for the outbox. */
export type AlertEvent = TypedEventBody<'anomaly.started' | 'anomaly.ended'>;

/** One scored sample. `explain` words the top contributions for the event message. */
export type ScoredSample = {
  ts: number;
  score: number;
  model: string;
  top: readonly AlertContribution[];
  explain?: (top: readonly AlertContribution[]) => string;
};

/** The alert of one host's anomaly score. */
export interface AnomalyAlert {
  /** Advances by one sample; returns the events it caused (at most one). */
  step(sample: ScoredSample): AlertEvent[];
  /** New settings (a policy set arrived); the episode in progress continues under them. */
  configure(settings: AlertSettings): void;
  settings(): AlertSettings;
  /** Whether an episode is in progress. */
  active(): boolean;
  save(): AnomalyAlertState;
}

const TOP = 5;
const round = (v: number) => Math.round(v * 1000) / 1000;

/** The words of an event message for the contributions `t` (none without them, or without `explain`). */
function why(x: ScoredSample, t: readonly AlertContribution[]): string {
  return x.explain && t.length ? `: ${x.explain(t)}` : '';
}

/** The first TOP contributions, each copied. */
function copyTop(top: readonly AlertContribution[]): AlertContribution[] {
  const n = Math.min(TOP, top.length);
  const out = new Array<AlertContribution>(n);
  for (let i = 0; i < n; i++) out[i] = { ...top[i]! };
  return out;
}

/** Creates the alert, resuming `saved` (from `save()`) when given. */
export function createAnomalyAlert(
  settings: AlertSettings = DEFAULT_ALERT_SETTINGS,
  saved?: Partial<AnomalyAlertState> | null,
): AnomalyAlert {
  let s = settings;
  let st: AlertState = { ...initialAlertState(), ...(saved ?? {}) };
  let peakTop: AlertContribution[] = saved?.peakTop ? [...saved.peakTop] : [];
  // contributions at the peak of the run that has not started an episode yet
  let runTop: AlertContribution[] = st.active ? [] : peakTop;

  return {
    step(x) {
      const wasActive = st.active;
      const before = st.peak;
      const r = stepAlert(s, st, x.score, x.ts);
      st = r.state;
      // the contributions of the sample that set the peak (of the run before an episode, of the episode during one),
      // copied only when kept (most samples set no peak: no copy, issue 12)
      let top: AlertContribution[] | null = null;
      if (!wasActive) {
        if (!(x.score >= s.enter)) {
          if (runTop.length > 0) runTop = [];
        } else if (runTop.length === 0 || x.score > before) runTop = top = copyTop(x.top);
      } else if (x.score > before) peakTop = top = copyTop(x.top);
      if (r.transition.kind === 'started') {
        peakTop = runTop.length ? runTop : (top ?? copyTop(x.top));
        runTop = [];
        const t = r.transition;
        return [
          eventBody('anomaly.started', {
            severity: 'warning',
            message: `anomaly alert started: score ${t.score.toFixed(2)} (enter ${s.enter}) since ${new Date(t.startedMs).toISOString()}${why(x, peakTop)}`,
            data: {
              model: x.model,
              peak: round(t.score),
              score: round(Number.isFinite(x.score) ? x.score : 0),
              startedAt: t.startedMs,
              top: peakTop,
              enter: s.enter,
              exit: s.exit,
            },
          }),
        ];
      }
      if (r.transition.kind === 'ended') {
        const t = r.transition;
        const durationMs = Math.max(0, t.endedMs - t.startedMs);
        const ended = eventBody('anomaly.ended', {
          severity: 'info',
          message: `anomaly alert ended after ${Math.round(durationMs / 1000)} s (peak ${t.peak.toFixed(2)})`,
          data: {
            model: x.model,
            peak: round(t.peak),
            startedAt: t.startedMs,
            endedAt: t.endedMs,
            durationMs,
            top: peakTop,
          },
        });
        peakTop = [];
        return [ended];
      }
      return [];
    },
    configure(next) {
      s = next;
    },
    settings: () => s,
    active: () => st.active,
    save: () => ({ ...st, peakTop: st.active ? peakTop : runTop }),
  };
}
