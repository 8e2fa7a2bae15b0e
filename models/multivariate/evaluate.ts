/**
 * Scoring a streamed anomaly score against labelled anomalies (the SMD/ASD protocol): best point-wise F1, composite
 * F1 (point-wise precision with event-wise recall, Garg et al. 2021) and point-adjusted F1, each at its own best
 * threshold among 300 score quantiles between the 50th and 99.99th percentile; and, at fixed alert settings, what an
 * operator would live with: event recall, point precision and alert episodes outside labelled anomalies per day.
 */
import { alertEpisodes, type AlertSettings } from '../../contract/models/alerting.ts';

/** A labelled anomaly: first and last row (inclusive). */
export type Span = [number, number];

/** Runs of 1s in a 0/1 label sequence. */
export function labelEvents(label: ArrayLike<number>): Span[] {
  const out: Span[] = [];
  let start = -1;
  for (let i = 0; i <= label.length; i++) {
    const on = i < label.length && label[i] === 1;
    if (on && start < 0) start = i;
    if (!on && start >= 0) {
      out.push([start, i - 1]);
      start = -1;
    }
  }
  return out;
}

/** Linearly interpolated quantile of sorted values. */
function quantile(sorted: Float64Array, q: number): number {
  const h = q * (sorted.length - 1);
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Best F1 of each kind over 300 quantile thresholds (a row is flagged when its score exceeds the threshold). */
export function bestF1(
  score: ArrayLike<number>,
  label: ArrayLike<number>,
): { pointwise: number; composite: number; pointAdjusted: number } {
  if (score.length !== label.length) throw new Error(`bestF1: ${score.length} scores for ${label.length} labels`);
  const sorted = Float64Array.from(score).sort();
  const events = labelEvents(label);
  const eventRows = events.reduce((s, [a, b]) => s + b - a + 1, 0);
  const thresholds = new Set<number>();
  for (let i = 0; i < 300; i++) thresholds.add(quantile(sorted, 0.5 + ((0.9999 - 0.5) * i) / 299));
  const f1 = (p: number, r: number) => (p + r > 0 ? (2 * p * r) / (p + r) : 0);
  let pointwise = 0;
  let composite = 0;
  let pointAdjusted = 0;
  for (const th of thresholds) {
    let tp = 0;
    let fp = 0;
    for (let i = 0; i < score.length; i++) {
      if (score[i]! > th) label[i] === 1 ? tp++ : fp++;
    }
    const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
    pointwise = Math.max(pointwise, f1(precision, eventRows > 0 ? tp / eventRows : 0));
    let hit = 0;
    let adjustedTp = 0;
    for (const [a, b] of events) {
      for (let i = a; i <= b; i++) {
        if (score[i]! > th) {
          hit++;
          adjustedTp += b - a + 1;
          break;
        }
      }
    }
    composite = Math.max(composite, f1(precision, events.length > 0 ? hit / events.length : 0));
    const pa = adjustedTp + fp > 0 ? adjustedTp / (adjustedTp + fp) : 0;
    pointAdjusted = Math.max(pointAdjusted, f1(pa, eventRows > 0 ? adjustedTp / eventRows : 0));
  }
  return { pointwise, composite, pointAdjusted };
}

/** At fixed alert settings: share of labelled events an alert episode overlaps, share of alerting rows inside a
 * labelled event, and episodes that overlap no event (within `slackRows`) per day of `rowsPerDay` rows. */
export function atAlertSettings(
  score: ArrayLike<number>,
  label: ArrayLike<number>,
  settings: AlertSettings,
  rowsPerDay: number,
  slackRows = 0,
): { eventRecall: number; precision: number; falseEpisodesPerDay: number; episodes: number } {
  const episodes = alertEpisodes(score, settings);
  const events = labelEvents(label);
  const overlaps = (x: Span, y: Span, slack: number) => x[0] <= y[1] + slack && x[1] >= y[0] - slack;
  const hit = events.filter((e) => episodes.some((p) => overlaps(p, e, 0))).length;
  let tp = 0;
  let fp = 0;
  for (const [a, b] of episodes) for (let i = a; i <= b; i++) label[i] === 1 ? tp++ : fp++;
  const falseEpisodes = episodes.filter((p) => !events.some((e) => overlaps(p, e, slackRows))).length;
  return {
    eventRecall: events.length > 0 ? hit / events.length : 1,
    precision: tp + fp > 0 ? tp / (tp + fp) : 0,
    falseEpisodesPerDay: falseEpisodes / (score.length / rowsPerDay),
    episodes: episodes.length,
  };
}
