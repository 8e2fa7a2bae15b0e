/**
 * What the healing engine knows and what it produces. Defined here so agent/heal does not depend on the
 * collector's internals; the shapes are a structural SUBSET of agent/collect's `CycleReading` (features, facts)
 * plus the model outputs of the wire `Sample.scores`, so a `{...reading, scores}` value is a valid observation.
 */

/** One process as the collectors see it (agent/collect `ProcessInfo`, plus optional cmdline). */
export interface ProcessFact {
  pid: number;
  /** Kernel comm name (/proc/<pid>/comm). */
  name: string;
  /** Full command line, space-joined; optional (the collector may only report names). */
  cmdline?: string;
  /** Share of one core over the last cycle, 0–100·cores; null on the first cycle. */
  cpuPct: number | null;
  rssBytes: number;
  /** Seconds since the process started. */
  runtimeS: number;
}

/** One watched service (agent/collect `ServiceState`). */
export interface ServiceFact {
  name: string;
  /** 'active' | 'inactive' | 'failed' | … (systemd) or 'running' | 'dead' | 'missing' (pidfile / supervised). */
  state: string;
  /** When present, decides "running"; otherwise state 'active' or 'running' counts as running. */
  healthy?: boolean;
}

/** One mounted filesystem (agent/collect `FilesystemFacts`). */
export interface FilesystemFact {
  mount: string;
  sizeBytes: number;
  /** Bytes available to unprivileged users; free percentages are computed from this. */
  availBytes: number;
  inodes: number;
  inodesFree: number;
}

/** Structured facts the policies can test. Every slot optional: absent = collector unavailable. */
export interface HealFacts {
  /** `all`: every process (conditions test all of them); top lists kept for older sources. */
  processes?: { topCpu: ProcessFact[]; topMem: ProcessFact[]; all?: ProcessFact[] };
  services?: ServiceFact[];
  filesystems?: FilesystemFact[];
}

/** Model outputs (wire `Sample.scores`). */
export interface HealScores {
  anomaly?: { score: number };
  disks?: { device: string; probability: number }[];
}

/** One cycle of what the agent knows: the input of `decide`. */
export interface Observation {
  /** Milliseconds since the epoch when the reading was taken. */
  ts: number;
  features: Record<string, number | null>;
  scores?: HealScores;
  facts: HealFacts;
}

/** An event for the outbox: an `AgentEvent` without `seq` (the link assigns it). */
export interface HealEvent {
  ts: number;
  type: string;
  severity: 'info' | 'warning' | 'critical';
  message: string;
  data: Record<string, unknown>;
}

/** Every process the source reported: `all` when present, else topCpu and topMem merged (one entry per pid). */
export function processesOf(obs: Observation): ProcessFact[] {
  const p = obs.facts.processes;
  if (!p) return [];
  if (p.all) return p.all;
  const byPid = new Map<number, ProcessFact>();
  for (const x of [...p.topCpu, ...p.topMem]) if (!byPid.has(x.pid)) byPid.set(x.pid, x);
  return [...byPid.values()];
}
