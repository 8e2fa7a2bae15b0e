/**
 * Refits anomaly-multi's fleet-level parameters from a fleet's stored samples. Every host still learns its own
 * normal online (levels, scales, daily profile, subspace live in per-host state); what the fleet decides is
 * - `components`: the principal components tracked, the smallest count that explains COMPONENT_SHARE of the
 *   variance of the hosts' standardised feature vectors (their averaged running covariance), within 1..MAX_COMPONENTS
 *   and at most half the features;
 * - `z0`: the score scale, so that the Q_TRAIN quantile of the smoothed surprise on the training slice maps to the
 *   alert `enter` level (the shipped z0 was chosen on ASD's servers, not on this fleet's).
 * The window [since, until) is split in time: the last `holdout` share is held back and scored (with the fitted and
 * the base parameters, state warmed on the training slice) for the card's quality figures. Three streaming passes
 * over the source; memory is one host's state and fixed-size histograms, never the samples.
 */
import {
  DEFAULT_ALERT_SETTINGS,
  initialAlertState,
  stepAlert,
  type AlertSettings,
} from '../../contract/models/alerting.ts';
import { MODEL_FEATURES } from '../../contract/features/schema.ts';
import { RefitDataError } from '../../contract/errors.ts';
import { symmetricEigen } from './baselines.ts';
import { createLogHistogram, createScoreHistogram } from './fleet-stats.ts';
import { MV_PARAMS, type MvParams } from './reference.ts';
import { createMvRunner } from './run.ts';

/** One stored sample. */
export type FleetSample = { ts: number; features: Readonly<Record<string, number | null>> };
/** A host with samples in the window: its first and last sample time and the feature names of its first sample. */
export type FleetHost = { id: string; firstTs: number; lastTs: number; features: readonly string[] };
/** Where the samples come from (the control plane's store, paged). */
export interface FleetSampleSource {
  hosts: readonly FleetHost[];
  /** The host's samples with since <= ts < until, oldest first. */
  read(hostId: string, since: number, until: number): AsyncIterable<FleetSample>;
}

/** Share of variance the tracked components must explain, and their bounds. */
export const COMPONENT_SHARE = 0.9;
export const MAX_COMPONENTS = 8;
/** Quantile of the training slice's smoothed surprise that scores `enter`; at least 1 / (1 - Q_TRAIN) warm training
 * samples are needed for it to mean anything. */
export const Q_TRAIN = 0.999;
export const MIN_TRAIN_SAMPLES = 1000;
export const MIN_HOLDOUT_SAMPLES = 100;
/** Bounds of a fitted z0 (a fleet with pathological data must not produce a model that never or always scores). */
export const Z0_RANGE: readonly [number, number] = [1, 10];

export type FitProgress = {
  pass: 1 | 2 | 3;
  of: 3;
  phase: string;
  hostsDone: number;
  hosts: number;
  samplesRead: number;
};
export type FitOptions = {
  since: number;
  until: number;
  holdout: number;
  base?: MvParams;
  alert?: AlertSettings;
  /** Feature names the model may use, in column order (default: the schema's model features). */
  candidates?: readonly string[];
  /** Quantile of the training surprise that scores `enter` (default Q_TRAIN). */
  quantile?: number;
  onProgress?: (p: FitProgress) => void;
};
/** Quality on the held-back slice. */
export type HoldoutQuality = ReturnType<ReturnType<typeof createScoreHistogram>['summary']> & {
  episodes: number;
  episodesPerHostDay: number;
  hostsAlerting: number;
};
export type FleetFit = {
  params: MvParams;
  base: MvParams;
  features: string[];
  data: {
    hosts: string[];
    samples: number;
    trainSamples: number;
    holdoutSamples: number;
    firstTs: number;
    lastTs: number;
    holdoutFrom: number;
    hostDaysHeldBack: number;
  };
  fit: { eigenvalues: number[]; explainedShare: number; surpriseQuantile: number; warmTrainSamples: number };
  quality: { fitted: HoldoutQuality; base: HoldoutQuality };
  alert: AlertSettings;
};

/** Fits the fleet-level parameters; throws RefitDataError naming what is missing. */
export async function fitFleet(source: FleetSampleSource, o: FitOptions): Promise<FleetFit> {
  const base = o.base ?? MV_PARAMS;
  const alert = o.alert ?? DEFAULT_ALERT_SETTINGS;
  const hosts = source.hosts;
  if (hosts.length === 0) throw new RefitDataError('no samples in the window from the selected hosts', 'no-samples');
  const candidates = o.candidates ?? MODEL_FEATURES;
  const seen = new Set(hosts.flatMap((h) => h.features));
  const features = candidates.filter((n) => seen.has(n));
  if (features.length === 0)
    throw new RefitDataError(
      `the samples carry none of the model's features (expected some of ${candidates.slice(0, 5).join(', ')}, …)`,
      'no-features',
    );
  const firstTs = Math.min(...hosts.map((h) => h.firstTs));
  const lastTs = Math.max(...hosts.map((h) => h.lastTs));
  const cut = lastTs - o.holdout * (lastTs - firstTs);
  const F = features.length;
  const x = new Float32Array(F);
  const fill = (s: FleetSample) => {
    for (let j = 0; j < F; j++) {
      const v = s.features[features[j]!];
      x[j] = typeof v === 'number' ? v : Number.NaN;
    }
    return x;
  };
  let samplesRead = 0;
  const progress = (pass: 1 | 2 | 3, phase: string, hostsDone: number) =>
    o.onProgress?.({ pass, of: 3, phase, hostsDone, hosts: hosts.length, samplesRead });

  // pass 1: the hosts' averaged covariance of the standardised vector on the training slice
  const cov = new Float64Array(F * F);
  let trainSamples = 0;
  let holdoutSamples = 0;
  let warmTrain = 0;
  for (const [i, h] of hosts.entries()) {
    progress(1, 'components', i);
    const run = createMvRunner(base, F);
    let n = 0;
    for await (const s of source.read(h.id, o.since, o.until)) {
      samplesRead++;
      if (s.ts >= cut) {
        holdoutSamples++;
        continue;
      }
      run.step(fill(s), s.ts);
      if (++n > base.warmup) warmTrain++;
    }
    trainSamples += n;
    if (n > 0) for (let k = 0; k < F * F; k++) cov[k]! += n * run.state.c[k]!;
  }
  if (warmTrain < MIN_TRAIN_SAMPLES)
    throw new RefitDataError(
      `too few samples to fit: ${warmTrain} training samples after each host's first ${base.warmup}, at least ${MIN_TRAIN_SAMPLES} needed (the alert level is fitted at the ${Q_TRAIN * 100}th percentile); widen --since or the selector`,
      'too-few-samples',
    );
  if (holdoutSamples < MIN_HOLDOUT_SAMPLES)
    throw new RefitDataError(
      `too few held-back samples: ${holdoutSamples}, at least ${MIN_HOLDOUT_SAMPLES} needed; raise --holdout or widen --since`,
      'too-few-samples',
    );
  const eigenvalues = symmetricEigen(cov, F).values.map((v) => Math.max(0, v / trainSamples));
  const total = eigenvalues.reduce((a, b) => a + b, 0);
  let K = 1;
  let acc = eigenvalues[0] ?? 0;
  while (K < eigenvalues.length && total > 0 && acc / total < COMPONENT_SHARE) acc += eigenvalues[K++]!;
  K = Math.max(1, Math.min(K, MAX_COMPONENTS, Math.floor(F / 2) || 1));
  const explainedShare = total > 0 ? eigenvalues.slice(0, K).reduce((a, b) => a + b, 0) / total : 0;
  const withK: MvParams = { ...base, components: K };

  // pass 2: the smoothed surprise on the training slice with the fitted components
  const surprise = createLogHistogram();
  for (const [i, h] of hosts.entries()) {
    progress(2, 'alert level', i);
    const run = createMvRunner(withK, F);
    let n = 0;
    for await (const s of source.read(h.id, o.since, cut)) {
      samplesRead++;
      run.step(fill(s), s.ts);
      if (++n > base.warmup) surprise.add(run.state.g[1]!);
    }
  }
  const sq = surprise.quantile(o.quantile ?? Q_TRAIN);
  const z0 = Math.min(Z0_RANGE[1], Math.max(Z0_RANGE[0], sq * Math.sqrt((1 - alert.enter) / alert.enter)));
  const params: MvParams = { ...withK, z0: Math.round(z0 * 1000) / 1000 };

  // pass 3: held-back quality of the fitted and the base parameters, state warmed on the training slice
  const models = [params, base].map((p) => ({ p, hist: createScoreHistogram(alert.enter), episodes: 0, hosts: 0 }));
  let hostDays = 0;
  for (const [i, h] of hosts.entries()) {
    progress(3, 'held-back quality', i);
    const runs = models.map((m) => ({ m, run: createMvRunner(m.p, F), alert: initialAlertState(), started: 0 }));
    let first = Number.NaN;
    let last = Number.NaN;
    let n = 0;
    for await (const s of source.read(h.id, o.since, o.until)) {
      samplesRead++;
      const held = s.ts >= cut;
      if (held) {
        if (n++ === 0) first = s.ts;
        last = s.ts;
      }
      const row = fill(s);
      for (const r of runs) {
        const score = r.run.step(row, s.ts).score;
        const t = stepAlert(alert, r.alert, score, s.ts);
        r.alert = t.state;
        if (!held) continue;
        r.m.hist.add(score);
        if (t.transition.kind === 'started' && t.transition.startedMs >= cut) r.started++;
      }
    }
    if (n > 1) hostDays += ((last - first) * n) / (n - 1) / 86_400_000;
    for (const r of runs) {
      r.m.episodes += r.started;
      if (r.started > 0) r.m.hosts++;
    }
  }
  progress(3, 'done', hosts.length);
  const quality = (m: (typeof models)[number]): HoldoutQuality => ({
    ...m.hist.summary(),
    episodes: m.episodes,
    episodesPerHostDay: hostDays > 0 ? m.episodes / hostDays : 0,
    hostsAlerting: m.hosts,
  });
  return {
    params,
    base,
    features,
    data: {
      hosts: hosts.map((h) => h.id),
      samples: trainSamples + holdoutSamples,
      trainSamples,
      holdoutSamples,
      firstTs,
      lastTs,
      holdoutFrom: cut,
      hostDaysHeldBack: hostDays,
    },
    fit: { eigenvalues, explainedShare, surpriseQuantile: sq, warmTrainSamples: warmTrain },
    quality: { fitted: quality(models[0]!), base: quality(models[1]!) },
    alert,
  };
}
