/**
 * The `infer` stage of the agent pipeline: feeds each cycle's features (and SMART facts, when the slow collector
 * produced them) to the inference stage, attaches the scores to the sample and emits detections and model
 * problems as audited events. The anomaly model sees only the host-level model features when the collectors
 * define them (agent/features/schema.ts MODEL_FEATURES), so per-process noise does not enter the baseline.
 */
import type { SmartDisk } from '../collect/types.ts';
import { MODEL_FEATURES } from '../../contract/features/schema.ts';
import type { Stage } from '../pipeline/types.ts';
import type { DiskReading } from './disk-predictor.ts';
import type { Inference } from './inference.ts';

const modelFeatures = new Set<string>(MODEL_FEATURES as readonly string[]);

/** Feature filter used by default: the collectors' host-level model features. */
export function isModelFeature(name: string): boolean {
  return modelFeatures.has(name);
}

/** SMART facts → the disk model's readings (serial-keyed so a renamed device keeps its history). */
export function diskReadings(disks: readonly SmartDisk[]): DiskReading[] {
  return disks.map((d) => {
    const attributes: Record<number, number> = { ...d.attributes };
    if (d.temperatureC !== null && attributes[194] === undefined) attributes[194] = d.temperatureC;
    if (d.powerOnHours !== null && attributes[9] === undefined) attributes[9] = d.powerOnHours;
    return {
      device: d.device,
      ...(d.serial ? { serial: d.serial } : {}),
      reading: {
        ...(d.model ? { model: d.model } : {}),
        attributes,
        ...(d.normalized ? { normalized: d.normalized } : {}),
        ...(d.nvme
          ? {
              media_errors: d.nvme.mediaErrors,
              percentage_used: d.nvme.percentageUsed,
              critical_warning: d.nvme.criticalWarning,
            }
          : {}),
        ...(d.temperatureC !== null ? { temperature: d.temperatureC } : {}),
        ...(d.powerOnHours !== null ? { power_on_hours: d.powerOnHours } : {}),
      },
    };
  });
}

/** Wraps an started {@link Inference} as a pipeline stage. */
export function createInferStage(inference: Inference): Stage {
  return {
    name: 'infer',
    async run(reading, ctx) {
      const facts = reading.facts as { smart?: { disks: SmartDisk[] } } | undefined;
      const disks = facts?.smart?.disks?.length ? diskReadings(facts.smart.disks) : undefined;
      const { scores, events } = await inference.onCycle({
        ts: reading.ts,
        features: reading.features,
        ...(disks ? { disks } : {}),
      });
      for (const e of events) ctx.emit({ type: e.type, severity: e.severity, message: e.message, data: e.data });
      return { ...reading, scores: { ...reading.scores, ...scores } };
    },
    stop: () => inference.stop(),
  };
}
