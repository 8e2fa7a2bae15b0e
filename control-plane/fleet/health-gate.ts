/**
 * Health gate between rollout waves: compares hosts on the new version ("treated") with the rest of the target
 * ("baseline") over the soak period. Each signal is a per-host rate (events per host over the soak window):
 * errors+escalations, anomalies, and (models) inference errors and p95 latency. A signal fails when the treated rate
 * exceeds both `baseline × maxRatio` and `baseline + minDelta` — the ratio catches regressions, the absolute floor keeps
 * a quiet baseline (0 → 1 event) from halting a rollout. Apply failures reported by agents fail the gate outright.
 *
 * The gate fails closed: silence is not health. A host that was sent the new version and is now offline (crashed,
 * hung until its session timed out) or stopped sending samples during the soak (its cycle stalled) fails the gate
 * outright, named with why, whether or not it acknowledged the version ({@link Liveness}, {@link livenessOf}).
 */
import type { AnomalyScoreFigures } from './score-figures.ts';

/** Aggregated observations of one group of hosts over the soak window. */
export interface GroupHealth {
  hosts: number;
  /** heal.failed + heal.escalated + apply errors reported in `state`. */
  errors: number;
  anomalies: number;
  inferenceErrors?: number;
  /** p95 inference latency in ms (models only). */
  latencyP95Ms?: number | null;
  /** Anomaly score mean and p95 of the group's samples (models only; shown beside the gate, not judged by it). */
  anomalyScore?: AnomalyScoreFigures | null;
  /** Hosts sent the new version that are not alive (treated group only), with why: they fail the gate. */
  unresponsive?: { host: string; why: string }[];
  /** Live hosts sent the new version that have not yet reported after it could take effect ({@link unprovenOf}). */
  unproven?: { host: string; why: string }[];
}

/** What the shell knows about one host sent the new version, for {@link livenessOf}. */
export interface Liveness {
  host: string;
  /** Presence: connected now. */
  online: boolean;
  /** ts of its newest stored sample, null when it never sent one. */
  lastSampleAt: number | null;
  /** Its cadence (the gap between its two newest samples), null when unknown. */
  intervalMs?: number | null;
}

/**
 * How long a host sent the new version may go without a sample before it counts as silent: half the soak, at most
 * 5 min, and at least three of its own cycles (10 s at the least: ingest may lag that much on a loaded control plane);
 * 30 s at the least when its cadence is unknown. A short soak on fast-cycling hosts is judged on their own rhythm, not
 * on a floor longer than the soak itself.
 */
export function silenceLimitMs(soakMs: number, intervalMs: number | null = null): number {
  const floor = intervalMs !== null && intervalMs > 0 ? Math.min(30_000, Math.max(10_000, 3 * intervalMs)) : 30_000;
  return Math.min(300_000, Math.max(floor, soakMs / 2));
}

/**
 * Why a host sent the new version is not alive at gate time, or null when it is: offline now, or it had been sending
 * samples but none in the last `silenceMs` (default {@link silenceLimitMs}) before `now`. A host that never sent a
 * sample is judged by presence alone (it may run without collectors).
 */
export function livenessOf(
  l: Liveness,
  now: number,
  soakMs: number,
  silenceMs = silenceLimitMs(soakMs, l.intervalMs ?? null),
): string | null {
  if (!l.online) return 'offline (no MQTT session: crashed, hung or cut off)';
  if (l.lastSampleAt !== null && l.lastSampleAt < now - silenceMs) {
    return `silent: no sample for ${Math.round((now - l.lastSampleAt) / 1000)} s (limit ${Math.round(silenceMs / 1000)} s; cycle stalled?)`;
  }
  return null;
}

/**
 * Why the gate cannot yet vouch for a live host, or null when it can: a host that sends samples must have sent one at
 * least one silence limit after its wave was sent (`waveStartedAt`). Until then, a host that hung right after applying
 * the version would still look alive on a soak shorter than twice the limit; the gate waits (verdict `insufficient`),
 * and the host either reports or turns silent and fails it.
 */
export function unprovenOf(l: Liveness, waveStartedAt: number, soakMs: number): string | null {
  if (l.lastSampleAt === null) return null;
  const due = waveStartedAt + silenceLimitMs(soakMs, l.intervalMs ?? null);
  if (l.lastSampleAt >= due) return null;
  return `no sample yet from ${Math.round((due - waveStartedAt) / 1000)} s after its wave was sent (proof it still runs)`;
}

/** Thresholds; defaults: maxRatio 2, minDelta 0.5 events/host, minTreatedHosts 1, latency ratio 1.5. */
export interface GateThresholds {
  maxRatio?: number;
  minDelta?: number;
  minTreatedHosts?: number;
  maxLatencyRatio?: number;
}

/** Gate verdict. `reasons` explains every failed signal in plain words. */
export interface GateResult {
  verdict: 'pass' | 'fail' | 'insufficient';
  reasons: string[];
  rates: Record<string, { treated: number; baseline: number }>;
}

/** Evaluates the gate. `applyFailures` = hosts whose agents refused or failed to apply the new version. */
export function evaluateGate(
  treated: GroupHealth,
  baseline: GroupHealth,
  applyFailures: number,
  t: GateThresholds = {},
): GateResult {
  const maxRatio = t.maxRatio ?? 2;
  const minDelta = t.minDelta ?? 0.5;
  const maxLatencyRatio = t.maxLatencyRatio ?? 1.5;
  const reasons: string[] = [];
  const rates: GateResult['rates'] = {};
  const dead = treated.unresponsive ?? [];
  if (dead.length > 0) {
    reasons.push(`${dead.length} host(s) sent the new version stopped reporting: ${named(dead)}`);
    return { verdict: 'fail', reasons, rates };
  }
  const waiting = treated.unproven ?? [];
  if (waiting.length > 0)
    return {
      verdict: 'insufficient',
      reasons: [`waiting for ${waiting.length} host(s) to report: ${named(waiting)}`],
      rates,
    };
  // A host that refused the new version or switched back from it (agent upgrades) never runs it: with no host running
  // it, that is a failure, not a wait for more acknowledgements.
  if (treated.hosts < (t.minTreatedHosts ?? 1) && applyFailures > 0)
    return { verdict: 'fail', reasons: [`${applyFailures} host(s) failed to apply the new version`], rates };
  if (treated.hosts < (t.minTreatedHosts ?? 1))
    return { verdict: 'insufficient', reasons: [`only ${treated.hosts} host(s) run the new version`], rates };
  if (applyFailures > 0) reasons.push(`${applyFailures} host(s) failed to apply the new version`);
  const per = (n: number | undefined, g: GroupHealth) => (g.hosts > 0 ? (n ?? 0) / g.hosts : 0);
  const signals: [string, number | undefined, number | undefined][] = [
    ['errors', treated.errors, baseline.errors],
    ['anomalies', treated.anomalies, baseline.anomalies],
    ['inferenceErrors', treated.inferenceErrors, baseline.inferenceErrors],
  ];
  for (const [name, tv, bv] of signals) {
    const tr = per(tv, treated);
    const br = per(bv, baseline);
    rates[name] = { treated: tr, baseline: br };
    if (tr > br * maxRatio && tr > br + minDelta) {
      reasons.push(
        `${name}: ${fmt(tr)}/host on the new version vs ${fmt(br)}/host on the rest (limit ×${maxRatio} and +${minDelta})`,
      );
    }
  }
  if (treated.latencyP95Ms != null && baseline.latencyP95Ms != null && baseline.latencyP95Ms > 0) {
    rates['latencyP95Ms'] = { treated: treated.latencyP95Ms, baseline: baseline.latencyP95Ms };
    if (treated.latencyP95Ms > baseline.latencyP95Ms * maxLatencyRatio) {
      reasons.push(
        `latency p95 ${fmt(treated.latencyP95Ms)} ms vs ${fmt(baseline.latencyP95Ms)} ms (limit ×${maxLatencyRatio})`,
      );
    }
  }
  return { verdict: reasons.length ? 'fail' : 'pass', reasons, rates };
}

/** The first ten hosts with why, `; `-separated (an ellipsis for more). */
function named(hosts: readonly { host: string; why: string }[]): string {
  const list = hosts
    .slice(0, 10)
    .map((d) => `${d.host} ${d.why}`)
    .join('; ');
  return `${list}${hosts.length > 10 ? '; …' : ''}`;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}
