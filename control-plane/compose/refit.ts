/**
 * One refit of the anomaly model from the fleet's stored samples, shared by `homeostat models fit` and the control
 * plane's background job (fleet/refit-jobs.ts): pick the hosts, stream their samples through the fit
 * (models/multivariate/fleet-fit.ts) and build the ONNX file and its card (fleet-model.ts).
 */
import type { RefitRequest, RefitResult, Refitter } from '../fleet/refit-jobs.ts';
import { fitFleet } from '../../models/multivariate/fleet-fit.ts';
import { buildFleetModel } from '../../models/multivariate/fleet-model.ts';
import type { HostRepository, TelemetryRepository } from '../store/ports.ts';
import { storeSampleSource } from './fleet-samples.ts';

/** Runs one refit; throws RefitDataError (contract/errors.ts) when the window cannot support one. */
export async function runRefit(
  repos: { hosts: HostRepository; telemetry: TelemetryRepository },
  req: RefitRequest,
  onProgress: (p: { phase: string; share: number; samplesRead: number }) => void = () => {},
  command = `homeostat models fit --kind anomaly --hosts '${req.selector}' --since ${req.window} --holdout ${req.holdout}`,
): Promise<RefitResult> {
  const started = performance.now();
  const until = req.now;
  const since = until - req.windowMs;
  onProgress({ phase: 'selecting hosts', share: 0, samplesRead: 0 });
  const source = await storeSampleSource(repos, req.selector, since, until, req.signal);
  const fit = await fitFleet(source, {
    since,
    until,
    holdout: req.holdout,
    onProgress: (p) =>
      onProgress({
        phase: `pass ${p.pass}/${p.of}: ${p.phase}`,
        share: Math.min(1, (p.pass - 1 + p.hostsDone / Math.max(1, p.hosts)) / p.of),
        samplesRead: p.samplesRead,
      }),
  });
  const { bytes, card } = buildFleetModel(fit, {
    selector: req.selector,
    window: req.window,
    createdAt: new Date(req.now),
    command,
  });
  const q = fit.quality;
  return {
    bytes,
    card,
    summary: {
      version: card.version,
      hosts: fit.data.hosts.length,
      hostsMatched: source.matched,
      samples: fit.data.samples,
      trainSamples: fit.data.trainSamples,
      holdoutSamples: fit.data.holdoutSamples,
      features: fit.features.length,
      from: new Date(fit.data.firstTs).toISOString(),
      to: new Date(fit.data.lastTs).toISOString(),
      holdoutFrom: new Date(fit.data.holdoutFrom).toISOString(),
      components: fit.params.components,
      z0: fit.params.z0,
      holdout: {
        alertRate: q.fitted.alertRate,
        falseEpisodesPerHostDay: q.fitted.episodesPerHostDay,
        scoreP50: q.fitted.p50,
        scoreP99: q.fitted.p99,
      },
      baseHoldout: {
        alertRate: q.base.alertRate,
        falseEpisodesPerHostDay: q.base.episodesPerHostDay,
        scoreP50: q.base.p50,
        scoreP99: q.base.p99,
      },
      fitMs: Math.round(performance.now() - started),
    },
  };
}

/** The control plane's refitter (wired into the fleet module by the composition roots). */
export const storeRefitter: Refitter = (repos, req, onProgress) => runRefit(repos, req, onProgress);
