/**
 * Turns a fleet refit (fleet-fit.ts) into a model file: the same graph as the shipped anomaly-multi with the fitted
 * parameters, exported through `buildMvGraph`, and a card that says what data it saw (hosts, samples, time range,
 * features) and how it did on the held-back slice beside the base parameters.
 */
import { FEATURE_SCHEMA_VERSION } from '../../contract/features/schema.ts';
import { buildModelCard, type ModelCard } from '../../contract/models/card.ts';
import { MV_DESCRIPTION, MV_MODEL_VERSION, mvTensorSpecs } from './export.ts';
import type { FleetFit, HoldoutQuality } from './fleet-fit.ts';
import { buildMvGraph } from './graph.ts';
import { MV_IO, MV_PARAM_NAMES, type MvParams } from './reference.ts';
import { DAY_MS, MV_SEASON_UPDATE_EVERY_MS } from './run.ts';

/** Hosts a card lists by id (the count is always there). */
const HOSTS_LISTED = 50;

/** `5.0.0` -> `5.1.0-fleet.<yyyymmddhhmmss>` (UTC): a minor bump marked as a fleet refit, unique per second. */
export function fleetVersion(base: string, at: Date): string {
  const m = /^(\d+)\.(\d+)\.\d+/.exec(base);
  const stamp = at.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return m ? `${m[1]}.${Number(m[2]) + 1}.0-fleet.${stamp}` : `${base}-fleet.${stamp}`;
}

const iso = (ms: number) => new Date(ms).toISOString();

function metrics(prefix: string, q: HoldoutQuality): Record<string, number> {
  const r = (v: number) => Math.round(v * 1e6) / 1e6;
  return {
    [`${prefix}_score_p50`]: r(q.p50),
    [`${prefix}_score_p90`]: r(q.p90),
    [`${prefix}_score_p99`]: r(q.p99),
    [`${prefix}_score_p999`]: r(q.p999),
    [`${prefix}_score_max`]: r(q.max),
    [`${prefix}_alert_rate`]: r(q.alertRate),
    [`${prefix}_false_episodes_per_host_day`]: r(q.episodesPerHostDay),
    [`${prefix}_episodes`]: q.episodes,
    [`${prefix}_hosts_alerting`]: q.hostsAlerting,
  };
}

/** Builds the ONNX bytes and the card of a refit. */
export function buildFleetModel(
  fit: FleetFit,
  o: { selector: string; window: string; createdAt: Date; baseVersion?: string; command: string },
): { bytes: Uint8Array; card: ModelCard } {
  const p = fit.params;
  const baseVersion = o.baseVersion ?? MV_MODEL_VERSION;
  const { bytes, nodes } = buildMvGraph(p, 'F', MV_DESCRIPTION);
  const d = fit.data;
  const hostsText =
    d.hosts.length <= HOSTS_LISTED ? d.hosts.join(', ') : `${d.hosts.slice(0, HOSTS_LISTED).join(', ')}, …`;
  const card = buildModelCard(bytes, {
    name: 'anomaly-multi',
    version: fleetVersion(baseVersion, o.createdAt),
    description: MV_DESCRIPTION,
    featureSchemaVersion: String(FEATURE_SCHEMA_VERSION),
    opset: 17,
    ...mvTensorSpecs(p.components, p.slots),
    fittedOn: {
      dataset: `fleet samples: ${d.hosts.length} host(s) matching '${o.selector}', ${d.samples} samples, ${iso(d.firstTs)} .. ${iso(d.lastTs)} (window ${o.window}), ${fit.features.length} features`,
      details: `Refit of anomaly-multi ${baseVersion}'s fleet-level parameters on this fleet's stored samples; every host still learns its own normal online. components = ${p.components} (the fewest explaining ${(fit.fit.explainedShare * 100).toFixed(1)}% of the hosts' averaged covariance of standardised features; base ${fit.base.components}); z0 = ${p.z0} (the ${'99.9th'} percentile of the training slice's smoothed surprise, ${fit.fit.surpriseQuantile.toFixed(3)}, scores the alert enter level ${fit.alert.enter}; base ${fit.base.z0}). Trained on ${d.trainSamples} samples before ${iso(d.holdoutFrom)}; held back ${d.holdoutSamples} samples (${d.hostDaysHeldBack.toFixed(2)} host-days) from then on, scored with state warmed on the training slice and counted as normal (the fleet's data has no labels). Hosts: ${hostsText}.`,
    },
    quality: {
      metrics: { ...metrics('holdout', fit.quality.fitted), ...metrics('base_holdout', fit.quality.base) },
      measuredWith: `${o.command} (held-back slice: the last part of the window from ${iso(d.holdoutFrom)}; alert settings ${JSON.stringify(fit.alert)}; base_* = anomaly-multi ${baseVersion}'s parameters on the same slice)`,
    },
    extra: {
      params: Object.fromEntries([...MV_PARAM_NAMES, 'components', 'slots'].map((k) => [k, p[k as keyof MvParams]])),
      nodes,
      alertThreshold: fit.alert.enter,
      alerting: fit.alert,
      seasonal: {
        input: MV_IO.inputs.season,
        buckets: p.slots,
        periodMs: DAY_MS,
        updateEveryMs: MV_SEASON_UPDATE_EVERY_MS,
      },
      fleetData: {
        selector: o.selector,
        window: o.window,
        hostCount: d.hosts.length,
        hosts: d.hosts.slice(0, HOSTS_LISTED),
        samples: d.samples,
        trainSamples: d.trainSamples,
        holdoutSamples: d.holdoutSamples,
        from: iso(d.firstTs),
        to: iso(d.lastTs),
        holdoutFrom: iso(d.holdoutFrom),
        features: fit.features,
      },
      refit: {
        base: `anomaly-multi@${baseVersion}`,
        changed: { components: [fit.base.components, p.components], z0: [fit.base.z0, p.z0] },
        eigenvalues: fit.fit.eigenvalues.map((v) => Math.round(v * 1e4) / 1e4),
        explainedShare: fit.fit.explainedShare,
        surpriseQuantile: fit.fit.surpriseQuantile,
      },
    },
    createdAt: o.createdAt.toISOString(),
  });
  return { bytes, card };
}
