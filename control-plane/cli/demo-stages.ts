/**
 * The demo agents' pipeline stages. `anomalyStage` scores each reading against the host's own exponentially weighted
 * mean/variance of a few features (model `demo-ewma`), with per-feature contributions, so the UI's anomaly views have
 * something to explain. `healStage` plays the healer against the simulated faults: it acts only when the applied policy
 * set has a policy for the fault (restart-service for a stopped service, free-disk for a filling disk), honours
 * `requireApproval` by asking and waiting for the control plane's `approval` command, and reports every step as the
 * same `heal.*` events the real healer emits.
 */
import type { PolicySet } from '../../agent/heal/policy/schema.ts';
import type { Stage } from '../../agent/pipeline/types.ts';
import type { Faults } from './demo-source.ts';

const WATCHED = ['cpu.temp_package_c', 'cpu.util_pct', 'mem.used_pct', 'fs.min_free_pct', 'services.unhealthy'] as const;

/** Scores readings by their largest z-score against the host's running EWMA statistics. */
export function anomalyStage(alpha = 0.05): Stage {
  const mean = new Map<string, number>();
  const vari = new Map<string, number>();
  let seen = 0;
  return {
    name: 'demo-anomaly',
    async run(reading) {
      seen++;
      const contributions: { feature: string; z: number; ratio: number | null }[] = [];
      for (const k of WATCHED) {
        const x = reading.features[k];
        if (x == null) continue;
        const m = mean.get(k);
        if (m === undefined) {
          mean.set(k, x);
          vari.set(k, 1);
          continue;
        }
        const sd = Math.sqrt(Math.max(vari.get(k)!, k === 'services.unhealthy' ? 0.01 : 0.5));
        const z = Math.abs(x - m) / sd;
        contributions.push({ feature: k, z, ratio: m !== 0 ? x / m : null });
        // Learn slowly, and not from readings that look anomalous, so a fault does not become the new normal.
        if (z < 4 || seen <= 20) {
          mean.set(k, m + alpha * (x - m));
          vari.set(k, (1 - alpha) * (vari.get(k)! + alpha * (x - m) ** 2));
        }
      }
      // The first 20 readings only learn the host's normal (no score from an untrained baseline).
      const zmax = seen <= 20 ? 0 : Math.max(0, ...contributions.map((c) => c.z));
      const score = Math.min(1, Math.max(0, 1 - Math.exp(-Math.max(0, zmax - 1.5) / 3)));
      const total = contributions.reduce((s, c) => s + c.z, 0) || 1;
      const top = contributions.sort((a, b) => b.z - a.z).slice(0, 3).map((c) => ({ feature: c.feature, contribution: Math.round((c.z / total) * 1000) / 1000, ratio: c.ratio }));
      return { ...reading, scores: { ...reading.scores, anomaly: { score: Math.round(score * 1000) / 1000, model: 'demo-ewma', top } } };
    },
  };
}

/** State the heal stage shares with the agent's command handlers. */
export type DemoHealer = {
  stage: Stage;
  applyPolicySet(set: PolicySet): void;
  onApproval(cmd: { requestId: string; approved: boolean; by: string; reason?: string }): void;
};

type Pending = { requestId: string; policy: string; action: string; decided: 'approved' | 'denied' | null; by?: string };

/** Creates the simulated healer over one host's fault board. */
export function createDemoHealer(faults: Faults, hostId: string): DemoHealer {
  let set: PolicySet | null = null;
  let pending: Pending | null = null;
  let seq = 0;
  const policyFor = (fault: 'service' | 'disk', service?: string) =>
    set?.policies.find((p) => {
      if (!p.enabled) return false;
      const w = p.when;
      if (fault === 'service') return w.kind === 'service' && w.service === service && p.do.some((a) => a.type === 'restart-service');
      return (w.kind === 'mount' || (w.kind === 'feature' && w.feature === 'fs.min_free_pct')) && p.do.some((a) => a.type === 'free-disk' || a.type === 'rotate-log' || a.type === 'truncate-log');
    }) ?? null;

  return {
    applyPolicySet(s) {
      set = s;
    },
    onApproval(cmd) {
      if (pending && pending.requestId === cmd.requestId) {
        pending.decided = cmd.approved ? 'approved' : 'denied';
        pending.by = cmd.by;
      }
    },
    stage: {
      name: 'demo-heal',
      async run(reading, ctx) {
        const act = (policy: string, action: string, clear: () => void) => {
          clear();
          ctx.emit({ type: 'heal.execute', severity: 'info', message: `policy '${policy}' acting: ${action}`, data: { policy, action } });
          ctx.emit({ type: 'heal.executed', severity: 'info', message: `${action} (policy '${policy}'): done`, data: { policy, action, status: 'done', outcome: 'succeeded' } });
        };
        if (pending?.decided) {
          const p = pending;
          pending = null;
          ctx.emit({ type: `heal.approval-${p.decided === 'approved' ? 'granted' : 'denied'}`, severity: 'info', message: `policy '${p.policy}' ${p.decided} by ${p.by ?? 'someone'}`, data: { policy: p.policy, requestId: p.requestId } });
          if (p.decided === 'approved') act(p.policy, p.action, () => (p.action === 'restart-service' ? (faults.serviceDown = null) : (faults.diskFilling = false)));
          return reading;
        }
        if (pending) return reading;
        const candidates: { policy: ReturnType<typeof policyFor>; action: string; clear: () => void }[] = [];
        if (faults.serviceDown) candidates.push({ policy: policyFor('service', faults.serviceDown), action: 'restart-service', clear: () => (faults.serviceDown = null) });
        if (faults.diskFilling && (reading.features['fs.min_free_pct'] ?? 100) < 15) candidates.push({ policy: policyFor('disk'), action: 'free-disk', clear: () => (faults.diskFilling = false) });
        for (const c of candidates) {
          if (!c.policy) continue;
          if (c.policy.guards.requireApproval) {
            pending = { requestId: `${hostId}-${c.policy.name}-${++seq}`, policy: c.policy.name, action: c.action, decided: null };
            ctx.emit({ type: 'heal.approval-requested', severity: 'warning', message: `policy '${c.policy.name}' waits for approval: ${c.action}`, data: { policy: c.policy.name, requestId: pending.requestId, actions: [{ type: c.action }], reason: faults.serviceDown ? `service ${faults.serviceDown} is not running` : 'root filesystem almost full' } });
            return reading;
          }
          act(c.policy.name, c.action, c.clear);
        }
        return reading;
      },
    },
  };
}
