/**
 * What the health gate sees of a rollout's current wave (rollout.ts WaveObservation): the treated hosts that
 * acknowledged the version against the rest of the target (events per host since the wave was sent, and for models
 * the new version's scores), apply failures, and each sent host's liveness (health-gate.ts: offline or silent fails
 * the gate; one that has not reported since the wave could take effect keeps it waiting).
 */
import type { EventKind } from '../../contract/protocol/index.ts';
import type { HostRecord } from '../store/ports.ts';
import type { FleetContext } from './context.ts';
import { livenessOf, unprovenOf, type GroupHealth, type Liveness } from './health-gate.ts';
import { treatedHosts, type RolloutState, type WaveObservation } from './rollout.ts';
import type { RolloutKind } from './rollout-service.ts';
import { onModel, scoreFigures } from './score-figures.ts';

/** Healing failures and refused artifacts, as catalogue kinds (renaming one is a type error here). */
const ERROR_TYPES: ReadonlySet<string> = new Set<EventKind>([
  'heal.failed',
  'heal.escalated',
  'heal.verify-failed',
  'fleet.bundle-refused',
  'fleet.model-refused',
  'fleet.agent-refused',
  'agent.rolled-back',
]);
/** Inference failures as agents report them (agent/infer: model.error, model.load-failed, model.unavailable). */
const INFERENCE_ERROR_TYPES: ReadonlySet<string> = new Set<EventKind>([
  'model.error',
  'model.load-failed',
  'model.unavailable',
]);
/** Anomaly kinds count towards the gate's anomaly signal: alert episodes started (and the older per-sample kind). */
const ANOMALY_TYPES: ReadonlySet<string> = new Set<EventKind>(['anomaly.started', 'anomaly.detected']);

/** Observes `s`'s current wave at `now` for the gate; `kind` says what a host reports as applied. */
export async function observeWave(
  ctx: Pick<FleetContext, 'repos'>,
  kind: Pick<RolloutKind, 'applied' | 'restartsAgent'>,
  s: RolloutState,
  hostsById: ReadonlyMap<string, HostRecord>,
  now: number,
): Promise<WaveObservation> {
  const treated = treatedHosts(s);
  const treatedSet = new Set(treated);
  const acked = treated.filter((h) => {
    const r = hostsById.get(h);
    return r && kind.applied(r, s.subject) === s.version;
  });
  const failures = treated.filter(
    (h) => !acked.includes(h) && (hostsById.get(h)?.stateErrors ?? []).some((e) => e.includes(s.version)),
  ).length;
  const untreated = s.waves.flat().filter((h) => !treatedSet.has(h));
  const since = s.waveStartedAt ?? now;
  // `onNew`: the treated group of a model rollout is judged on what the new version scored (score-figures.ts).
  const health = async (hosts: string[], from: number, to: number, onNew = false): Promise<GroupHealth> => {
    const g: GroupHealth = { hosts: hosts.length, errors: 0, anomalies: 0, inferenceErrors: 0 };
    // a model canary's groups always carry the score figures (null: no samples yet, e.g. before the canary acks)
    if (s.kind === 'model') [g.latencyP95Ms, g.anomalyScore] = [null, null];
    if (!hosts.length) return g;
    for (const [type, n] of await ctx.repos.telemetry.eventTypeCounts(hosts, { since: from, until: to })) {
      if (ERROR_TYPES.has(type)) g.errors += n;
      if (ANOMALY_TYPES.has(type)) g.anomalies += n;
      if (INFERENCE_ERROR_TYPES.has(type)) g.inferenceErrors! += n;
    }
    if (s.kind === 'model') {
      const rows = await ctx.repos.telemetry.recentScores(hosts, { since: from, until: to, limit: 5000 });
      const f = scoreFigures(onNew ? onModel(rows, s.version) : rows.map((r) => r.scores));
      g.latencyP95Ms = f.latencyP95Ms;
      g.anomalyScore = f.anomalyScore;
    }
    return g;
  };
  const treatedHealth = await health(acked, since, now + 1, true);
  // Fail closed: every host sent the version (acknowledged or not) must still be alive (health-gate.ts).
  const activity = new Map((await ctx.repos.telemetry.latestActivity()).map((a) => [a.hostId, a]));
  const mustBeAlive = kind.restartsAgent ? acked : treated;
  const liveness = mustBeAlive
    .filter((host) => !hostsById.get(host)?.revokedAt) // revoked since: no longer part of the fleet
    .map((host): Liveness => {
      const a = activity.get(host);
      const interval =
        a?.lastSampleAt != null && a.previousSampleAt != null ? a.lastSampleAt - a.previousSampleAt : null;
      return {
        host,
        online: hostsById.get(host)?.online ?? false,
        lastSampleAt: a?.lastSampleAt ?? null,
        intervalMs: interval,
      };
    });
  const judged = (why: (l: Liveness) => string | null) =>
    liveness.flatMap((l) => {
      const w = why(l);
      return w ? [{ host: l.host, why: w }] : [];
    });
  treatedHealth.unresponsive = judged((l) => livenessOf(l, now, s.soakMs));
  treatedHealth.unproven = judged((l) => unprovenOf(l, since, s.soakMs));
  // Baseline: target hosts not yet sent; on the last wave, the same hosts over the equally long period before.
  const baseline = untreated.length
    ? await health(untreated, since, now + 1)
    : await health(acked, since - (now - since), since);
  return { treated: treatedHealth, baseline, applyFailures: failures, acknowledged: acked };
}
