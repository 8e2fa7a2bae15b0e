/**
 * The `heal` stage of the agent pipeline: turns a cycle's reading (features, scores, collector facts) into the
 * healer's {@link Observation} and forwards the healer's audited decisions to the outbox.
 */
import type { Facts } from '../collect/types.ts';
import type { Stage } from '../pipeline/types.ts';
import type { Healer } from './healer.ts';
import type { HealFacts, Observation, ServiceFact } from './types.ts';
import { needsCmdline, readCmdlines } from './cmdline.ts';

/** Maps collector facts to the subset the policies test (services and pidfile-supervised processes merged). */
export function healFacts(facts: Facts | undefined): HealFacts {
  if (!facts) return {};
  const services: ServiceFact[] = [...(facts.services ?? []), ...(facts.pidfiles ?? [])].map((s) => ({
    name: s.name,
    state: s.state,
    healthy: s.healthy,
  }));
  return {
    ...(facts.processes
      ? {
          processes: {
            topCpu: facts.processes.topCpu,
            topMem: facts.processes.topMem,
            ...(facts.processes.all ? { all: facts.processes.all } : {}),
          },
        }
      : {}),
    ...(facts.services || facts.pidfiles ? { services } : {}),
    ...(facts.filesystems ? { filesystems: facts.filesystems } : {}),
  };
}

/**
 * Wraps a healer as a pipeline stage (runs after `infer`, so anomaly and failure scores are visible to policies).
 * When the active set tests command lines, they are read here for every process (bounded: agent/heal/cmdline.ts).
 */
export function createHealStage(healer: Healer, isConnected: () => boolean = () => false, procRoot = '/proc'): Stage {
  let seenSet: ReturnType<Healer['policySet']> | undefined;
  let wantCmdline = false;
  return {
    name: 'heal',
    async run(reading, ctx) {
      // Offline fallbacks (approvals) depend on the link; it is polled here rather than pushed, once per cycle.
      healer.setConnected(isConnected());
      const obs: Observation = {
        ts: reading.ts,
        features: reading.features,
        facts: healFacts(reading.facts as Facts | undefined),
        ...(reading.scores ? { scores: reading.scores } : {}),
      };
      const set = healer.policySet();
      if (set !== seenSet) {
        seenSet = set;
        wantCmdline = needsCmdline(set);
      }
      const procs = obs.facts.processes;
      if (wantCmdline && procs?.all) {
        procs.all = procs.all.map((p) => ({ ...p }));
        readCmdlines(procRoot, procs.all);
      }
      for (const e of await healer.onCycle(obs))
        ctx.emit({ type: e.type, severity: e.severity, message: e.message, data: e.data, ts: e.ts });
      return reading;
    },
    stop: () => healer.close(),
  };
}
