/** Incident types shared by the correlator, its store and the API. */

/** Why the correlator thinks these events belong together, and how strongly the attribute separates affected hosts. */
export interface RootCauseHint {
  /** Attribute key (`rack`, `inventory.diskFirmware`, `policyVersion`, …) or `host` for single-host incidents. */
  key: string;
  value: string;
  /** Affected hosts carrying the value / hosts showing the symptom in the window. */
  affected: number;
  symptomatic: number;
  /** Fleet hosts carrying the value / fleet size. */
  fleetWithValue: number;
  fleetSize: number;
  affectedShare: number;
  fleetShare: number;
  lift: number;
  /** -log10 of the one-sided Fisher (hypergeometric) p-value. */
  score: number;
  /** Failure rate among fleet hosts with the value / without it, and their ratio (significance.ts); absent in hints
   * stored before them. */
  rateWith?: number;
  rateWithout?: number;
  riskRatio?: number;
  explanation: string;
}

/** A lasting signal an incident holds (control-plane/correlate/conditions.ts): on until `endedAt`. */
export interface IncidentCondition {
  /** `<hostId>:<condition>`. */
  key: string;
  hostId: string;
  /** What it is: `anomaly` (an agent's anomaly alert episode). */
  condition: string;
  since: number;
  endedAt: number | null;
}

/** Why an incident was resolved: its conditions cleared, no signal for the quiet period, or a person. */
export interface IncidentResolution {
  reason: 'cleared' | 'quiet' | 'manual';
  at: number;
  text: string;
  by?: string;
}

/** One incident. Group incidents are keyed by a shared attribute; host incidents by one host. */
export interface Incident {
  id: string;
  status: 'open' | 'resolved' | 'merged';
  scope: 'group' | 'host';
  key: string;
  value: string;
  severity: 'info' | 'warning' | 'critical';
  hosts: string[];
  signatures: string[];
  eventCount: number;
  /** Ids of the last (up to 500) events. */
  eventIds: string[];
  firstEventAt: number;
  openedAt: number;
  updatedAt: number;
  lastEventAt: number;
  resolvedAt: number | null;
  mergedInto: string | null;
  suppressed: boolean;
  hint: RootCauseHint;
  acknowledged: { by: string; at: number } | null;
  /** Who handles it (a username), who set that and when; absent or null when nobody is assigned. */
  assignee?: { name: string; by: string; at: number } | null;
  notes: { by: string; at: number; text: string }[];
  title: string;
  /** Lasting signals (anomaly alerts) it holds; open while any is on. Absent in incidents stored before them. */
  conditions?: IncidentCondition[];
  /** When a point signal (not a condition) last joined it. */
  lastPointEventAt?: number;
  /** Set when resolved. */
  resolution?: IncidentResolution | null;
  /** The rollout that put a version-keyed group incident's value there (set by the shell, incident-service.ts). */
  rollouts?: { id: string; kind: string; version: string }[];
}

/** What changed; the shell persists, notifies and audits these. */
export interface IncidentChange {
  type: 'opened' | 'updated' | 'resolved' | 'merged' | 'acknowledged' | 'annotated';
  incident: Incident;
}

/** An event as the correlator sees it (from agents' `events`, presence, or control-plane detections). */
export interface CorrelatorEvent {
  id?: string;
  hostId: string;
  ts: number;
  type: string;
  severity: 'info' | 'warning' | 'critical';
  message?: string;
  data?: Record<string, unknown>;
}
