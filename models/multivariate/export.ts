/**
 * Exports anomaly-multi 6 (the multivariate anomaly model, the agent's default) into models/anomaly/anomaly-multi.onnx
 * with its card, whose quality is the reference model's ASD figures measured during export (the data directory is
 * required: no card is written without measured figures).
 * Usage: npx tsx models/multivariate/export.ts --data ../shared/datasets/asd [--out models/anomaly]
 */
import { Command } from 'commander';
import { join, resolve } from 'node:path';
import { DEFAULT_ALERT_SETTINGS } from '../../contract/models/alerting.ts';
import { writeModelCard } from '../../contract/models/card.ts';
import type { ModelCard, TensorSpec } from '../../contract/models/card.ts';
import { FEATURE_SCHEMA_VERSION } from '../../contract/features/schema.ts';
import { entityNames, loadEntity } from './asd.ts';
import { entityFigures, meanFigures } from './benchmark.ts';
import { buildMvGraph } from './graph.ts';
import { MV_FROWS, MV_GCOLS, MV_IO, MV_PARAM_NAMES, MV_PARAMS, MV_SROWS } from './reference.ts';
import type { MvParams } from './reference.ts';
import { DAY_MS, MV_SEASON_UPDATE_EVERY_MS, scoreRows } from './run.ts';

/** Model version written to the card. */
export const MV_MODEL_VERSION = '6.0.0';

export const MV_DESCRIPTION =
  "Streaming multivariate anomaly score for a host's whole feature vector, per-host state fed back (state in -> state out). Per feature: robust standardisation (winsorized location and scale, learnt at max(aMin, 1/(n+1)); scale floor epsRel |level| + epsAbs, so constant features are handled), a daily profile used only where it explains the feature (detected per feature, not assumed), level-shift re-learning. Across features: a running covariance of the standardised vector and an online principal subspace (components rows, one power-iteration step and Gram-Schmidt per sample); the residual the usual correlations do not explain, per feature over its own running RMS. Score = smoothed (max residual + wZ x max |z| + wM x mean surprise: the mean |z| over features against its own running level and spread, many features moving a little together), squashed to [0,1) (0.5 at z0), every sample; contributions per feature. Alerting is a separate state machine on the score (contract/models/alerting.ts).";

/** The card's inputs and outputs for `K` components and `slots` daily slots. */
export function mvTensorSpecs(K: number, slots: number): { inputs: TensorSpec[]; outputs: TensorSpec[] } {
  const I = MV_IO;
  const state = (name: string, shape: (number | string)[], what: string): TensorSpec => ({
    name,
    dtype: 'float32',
    shape,
    description: `${what} (zeros for a new host); feed back ${name}_out`,
  });
  return {
    inputs: [
      {
        name: I.inputs.x,
        dtype: 'float32',
        shape: [1, 'F'],
        description: 'one sample; NaN = missing feature (masked)',
      },
      state(
        I.inputs.fstate,
        [MV_FROWS, 'F'],
        'per-feature state: level, scale^2, count, shift run, profile and level residual variances, residual variance',
      ),
      state(
        I.inputs.gstate,
        [1, MV_GCOLS],
        'global state: steps, smoothed surprise, mean surprise count, level and variance',
      ),
      state(I.inputs.basis, [K, 'F'], `principal subspace: ${K} orthonormal rows`),
      state(I.inputs.cov, ['F', 'F'], 'running covariance of the standardised vector'),
      {
        name: I.inputs.season,
        dtype: 'float32',
        shape: [MV_SROWS, 'F'],
        description: `daily profile of the sample's slot (one of ${slots} of the UTC day, extra.seasonal): offset from the level, count per feature; the caller keeps every slot (zeros for a new host), feeds the sample's and stores season_out back into it; zeros for an unknown time`,
      },
    ],
    outputs: [
      { name: I.outputs.score, dtype: 'float32', shape: [1, 1], description: 'anomaly score in [0,1), every sample' },
      {
        name: I.outputs.contributions,
        dtype: 'float32',
        shape: [1, 'F'],
        description: "each feature's share of the surprise (sums to 1 when any)",
      },
      {
        name: I.outputs.baseline,
        dtype: 'float32',
        shape: [1, 'F'],
        description: "each feature's usual value (x / baseline = 'N x its usual')",
      },
      { name: I.outputs.fstate, dtype: 'float32', shape: [MV_FROWS, 'F'] },
      { name: I.outputs.gstate, dtype: 'float32', shape: [1, MV_GCOLS] },
      { name: I.outputs.basis, dtype: 'float32', shape: [K, 'F'] },
      { name: I.outputs.cov, dtype: 'float32', shape: ['F', 'F'] },
      { name: I.outputs.season, dtype: 'float32', shape: [MV_SROWS, 'F'] },
    ],
  };
}

/** Mean ASD figures of the reference model (train rows then test rows per entity, 5-minute times from 0). */
export function asdFigures(dir: string, params: MvParams = MV_PARAMS): Record<string, number> {
  const per = entityNames(dir).map((name) => {
    const e = loadEntity(dir, name);
    const s = scoreRows(params, [...e.train, ...e.test], 0).subarray(e.train.length);
    return entityFigures(e, s, true);
  });
  return meanFigures(per);
}

/** Builds the model, measures ASD, writes .onnx + .card.json; returns the card. */
export function exportMvModel(opts: { dataDir: string; outDir: string; createdAt?: string }): ModelCard {
  const params = MV_PARAMS;
  const q = asdFigures(opts.dataDir, params);
  const { bytes, nodes } = buildMvGraph(params, 'F', MV_DESCRIPTION);
  return writeModelCard(join(opts.outDir, 'anomaly-multi.onnx'), bytes, {
    name: 'anomaly-multi',
    version: MV_MODEL_VERSION,
    description: MV_DESCRIPTION,
    featureSchemaVersion: String(FEATURE_SCHEMA_VERSION),
    opset: 17,
    ...mvTensorSpecs(params.components, params.slots),
    fittedOn: {
      dataset: 'ASD (InterFusion, KDD 2021): 12 application servers, 19 metrics, 5-minute rows',
      details:
        'No per-host fitting: every host learns its own normal from its stream. The few fleet-level parameters were chosen on ASD (train rows streamed, then test rows; mean over the 12 servers) among principled values (rates, caps, floors in standardised units), preferring round values over the best ASD fit; docs/models.md.',
    },
    quality: {
      metrics: {
        asd_f1_pointwise: q.f1Pointwise!,
        asd_f1_composite: q.f1Composite!,
        asd_f1_point_adjusted: q.f1PointAdjusted!,
        asd_event_recall_at_default: q.eventRecallAtDefault!,
        asd_precision_at_default: q.precisionAtDefault!,
        asd_false_episodes_per_day: q.falseEpisodesPerDay!,
      },
      measuredWith:
        'npm run bench:mv -- --data ../shared/datasets/asd --engine reference (the shipped graph on the agent engine: npm run bench:mv -- --data ../shared/datasets/asd; parity in models/multivariate/parity.test.ts)',
    },
    extra: {
      params: Object.fromEntries(
        [...MV_PARAM_NAMES, 'components', 'slots'].map((k) => [k, params[k as keyof MvParams]]),
      ),
      nodes,
      alertThreshold: DEFAULT_ALERT_SETTINGS.enter,
      alerting: DEFAULT_ALERT_SETTINGS,
      seasonal: {
        input: MV_IO.inputs.season,
        buckets: params.slots,
        periodMs: DAY_MS,
        updateEveryMs: MV_SEASON_UPDATE_EVERY_MS,
      },
    },
    ...(opts.createdAt ? { createdAt: opts.createdAt } : {}),
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const o = new Command()
    .requiredOption('--data <dir>', 'ASD directory (SMD layout: train/, test/, test_label/)')
    .option('--out <dir>', 'output directory', new URL('../anomaly', import.meta.url).pathname)
    .parse(process.argv)
    .opts<{ data: string; out: string }>();
  const c = exportMvModel({ dataDir: resolve(o.data), outDir: resolve(o.out) });
  console.log(`${c.name}@${c.version}: ${c.bytes} bytes sha256 ${c.sha256} ${JSON.stringify(c.quality.metrics)}`);
}
