/**
 * Which feature schema each of the agent's two model slots feeds, shared by the control plane (checked when a model
 * is uploaded) and the agent (checked again before a rolled-out model is downloaded and when it is bound to a slot),
 * so a model fitted on another feature vector is refused with a reason instead of scoring garbage.
 */
import { FEATURE_SCHEMA_VERSION } from '../features/schema.ts';
import { FEATURE_SCHEMA_VERSION as DISK_FEATURE_SCHEMA_VERSION } from './disk/features.ts';
import type { ModelCard } from './card.ts';

/** The agent's model slots. */
export type ModelSlot = 'anomaly' | 'disk';

/** Feature-schema versions each slot feeds in this release: the host's feature vector (or one feature at a time for
 * a univariate model) to the anomaly slot, the per-disk SMART features to the disk slot. */
export const SLOT_FEATURE_SCHEMAS: Readonly<Record<ModelSlot, readonly string[]>> = {
  anomaly: [FEATURE_SCHEMA_VERSION, 'univariate'],
  disk: [DISK_FEATURE_SCHEMA_VERSION],
};

/** Every feature-schema version agents of this release understand. */
export const KNOWN_FEATURE_SCHEMAS: readonly string[] = [...SLOT_FEATURE_SCHEMAS.anomaly, ...SLOT_FEATURE_SCHEMAS.disk];

/** The slot a model goes to: anomaly models take the feature tensor `x`, the disk model does not. */
export function modelSlotOf(card: Pick<ModelCard, 'inputs'>): ModelSlot {
  return card.inputs.some((i) => i.name === 'x') ? 'anomaly' : 'disk';
}

/** Why a model with this feature schema cannot run in `slot` (or in any slot when `slot` is omitted), else null. */
export function featureSchemaProblem(version: string, slot?: ModelSlot): string | null {
  const allowed = slot ? SLOT_FEATURE_SCHEMAS[slot] : KNOWN_FEATURE_SCHEMAS;
  if (allowed.includes(version)) return null;
  const where = slot ? `the ${slot} model` : 'any model';
  return `feature schema '${version}' is not what this agent feeds ${where} (${allowed.join(', ')})`;
}
