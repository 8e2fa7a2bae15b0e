/**
 * Health gate between rollout waves: compares hosts on the new version ("treated") with the rest of the target
 * ("baseline") over the soak period. Each signal is a per-host rate (events per host over the soak window):
 * errors+escalations, anomalies, and (models) inference errors and p95 latency. A signal fails when the treated rate
 * exceeds both `baseline × maxRatio` and `baseline + minDelta` — the ratio catches regressions, the absolute floor keeps
 * a quiet baseline (0 → 1 event) from halting a rollout. Apply failures reported by agents fail the gate outright.
 */

/** Aggregated observations of one group of hosts over the soak window. */
export interface GroupHealth {
  hosts: number;
  /** heal.failed + heal.escalated + apply errors reported in `state`. */
  errors: number;
  anomalies: number;
  inferenceErrors?: number;
  /** p95 inference latency in ms (models only). */
  latencyP95Ms?: number | null;
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
export function evaluateGate(treated: GroupHealth, baseline: GroupHealth, applyFailures: number, t: GateThresholds = {}): GateResult {
  const maxRatio = t.maxRatio ?? 2;
  const minDelta = t.minDelta ?? 0.5;
  const maxLatencyRatio = t.maxLatencyRatio ?? 1.5;
  const reasons: string[] = [];
  const rates: GateResult['rates'] = {};
  if (treated.hosts < (t.minTreatedHosts ?? 1)) return { verdict: 'insufficient', reasons: [`only ${treated.hosts} host(s) run the new version`], rates };
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
      reasons.push(`${name}: ${fmt(tr)}/host on the new version vs ${fmt(br)}/host on the rest (limit ×${maxRatio} and +${minDelta})`);
    }
  }
  if (treated.latencyP95Ms != null && baseline.latencyP95Ms != null && baseline.latencyP95Ms > 0) {
    rates['latencyP95Ms'] = { treated: treated.latencyP95Ms, baseline: baseline.latencyP95Ms };
    if (treated.latencyP95Ms > baseline.latencyP95Ms * maxLatencyRatio) {
      reasons.push(`latency p95 ${fmt(treated.latencyP95Ms)} ms vs ${fmt(baseline.latencyP95Ms)} ms (limit ×${maxLatencyRatio})`);
    }
  }
  return { verdict: reasons.length ? 'fail' : 'pass', reasons, rates };
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}
