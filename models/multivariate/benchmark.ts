/**
 * The multivariate benchmark's figures for one scorer over entities in SMD/ASD layout: per entity, best point-wise,
 * composite and point-adjusted F1 (evaluate.ts) and, where the score is the model's own [0, 1] score, event recall,
 * point precision and false alert episodes per day at the shipped default alert settings (no per-entity tuning).
 */
import { DEFAULT_ALERT_SETTINGS } from '../../contract/models/alerting.ts';
import { atAlertSettings, bestF1 } from './evaluate.ts';
import type { MvEntity } from './asd.ts';

/** Figures of one entity (the alert figures only for a model's own [0, 1] score). */
export interface EntityFigures {
  entity: string;
  f1Pointwise: number;
  f1Composite: number;
  f1PointAdjusted: number;
  eventRecallAtDefault?: number;
  precisionAtDefault?: number;
  falseEpisodesPerDay?: number;
}

/** Rows per day at the benchmark's 5-minute cadence. */
export const ROWS_PER_DAY = 288;

/** Figures of one entity's test scores. */
export function entityFigures(e: MvEntity, score: ArrayLike<number>, withAlerts: boolean): EntityFigures {
  const b = bestF1(score, e.label);
  const out: EntityFigures = {
    entity: e.name,
    f1Pointwise: b.pointwise,
    f1Composite: b.composite,
    f1PointAdjusted: b.pointAdjusted,
  };
  if (!withAlerts) return out;
  const d = atAlertSettings(score, e.label, DEFAULT_ALERT_SETTINGS, ROWS_PER_DAY);
  return {
    ...out,
    eventRecallAtDefault: d.eventRecall,
    precisionAtDefault: d.precision,
    falseEpisodesPerDay: d.falseEpisodesPerDay,
  };
}

/** Mean of every numeric figure over entities. */
export function meanFigures(per: readonly EntityFigures[]): Record<string, number> {
  const keys = [
    'f1Pointwise',
    'f1Composite',
    'f1PointAdjusted',
    'eventRecallAtDefault',
    'precisionAtDefault',
    'falseEpisodesPerDay',
  ] as const;
  const out: Record<string, number> = {};
  for (const k of keys) {
    const vals = per.map((p) => p[k]).filter((v): v is number => v !== undefined);
    if (vals.length > 0) out[k] = vals.reduce((a, b) => a + b, 0) / vals.length;
  }
  return out;
}
