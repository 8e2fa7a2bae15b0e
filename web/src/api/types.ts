/**
 * The shapes the UI works with. The API's JSON is normalised into these in api/api.ts, so a renamed field is fixed in
 * one place rather than in every page.
 */
export type Labels = Record<string, string>;

/** One host as listed in the fleet overview. */
export type Host = {
  id: string;
  hostname: string;
  labels: Labels;
  online: boolean;
  /** Newest of presence, sample and event (the API folds them; the live stream moves it forward). */
  lastSeen: number | null;
  /** Collection time of the sample `anomaly` comes from. */
  lastSampleAt: number | null;
  agentVersion: string | null;
  policyVersion: string | null;
  models: Record<string, string>;
  anomaly: number | null;
  openIncidents: number;
  stateErrors: string[];
  revoked: boolean;
};

/** A host with its inventory, for the detail page. */
export type HostDetail = Host & { inventory: Record<string, unknown> | null; enrolledAt: number | null };

/** One feature contribution to an anomaly score. */
export type Contribution = { feature: string; contribution: number; ratio?: number | null };

/** One stored sample. */
export type Sample = {
  ts: number;
  features: Record<string, number | null>;
  anomaly: number | null;
  top: Contribution[];
  disks: { device: string; serial?: string; probability: number; model: string }[];
};

/** One audited agent event (healing action, detection, escalation…). */
export type HostEvent = {
  hostId: string;
  seq: number;
  ts: number;
  type: string;
  severity: 'info' | 'warning' | 'critical';
  message: string | null;
  data: Record<string, unknown>;
};

export type IncidentStatus = 'open' | 'acknowledged' | 'resolved';

/** A (possibly multi-host) incident from the correlator. */
export type Incident = {
  id: string;
  title: string;
  status: IncidentStatus;
  severity: string;
  openedAt: number;
  updatedAt: number;
  hosts: string[];
  rootCause: { hint: string; explanation: string; confidence: number | null } | null;
  timeline: { ts: number; kind: string; text: string; by: string | null }[];
  rollouts: { id: string; kind: string; version: string }[];
};

/** A policy and its versions. */
export type Policy = { name: string; latestVersion: number | null; publishedVersion: number | null; selector: string | null; updatedAt: number | null };
export type PolicyVersion = { version: number; source: string; createdAt: number; createdBy: string | null; comment: string | null };

/** A rollout of a policy or model version in waves. */
export type Rollout = {
  id: string;
  kind: 'policy' | 'model';
  subject: string;
  version: string;
  state: string;
  createdAt: number;
  /** Index of the wave being soaked (-1 before the first is sent). */
  wave: number;
  waves: { index: number; hostIds: string[]; hosts: number; acked: number | null; failed: number; state: string }[];
  /** The version a rollback sends (null for the first rollout of a subject). */
  previousVersion: string | null;
  selector: string;
  history: { at: number; event: string; detail: string | null }[];
};

/** A model in the registry. */
/** A registered model artifact (`<name>@<version>`). */
export type Model = { id: string; name: string; version: string; kind: string; createdAt: number; sha256: string; bytes: number; uploadedBy: string | null };

/** An action waiting for a person's approval. */
export type Approval = {
  id: string;
  hostId: string;
  action: string;
  reason: string | null;
  state: 'pending' | 'approved' | 'denied' | 'expired';
  requestedAt: number;
  context: Record<string, unknown>;
  decidedBy: string | null;
  decisionReason: string | null;
};

/** An enrollment token (the secret is only returned once, at creation). */
export type EnrollToken = { id: string; labels: Labels; maxUses: number; usesLeft: number; expiresAt: number; revoked: boolean; createdAt: number };
export type CreatedEnrollToken = EnrollToken & { token: string };

/** A person with a role. */
export type User = { id: string; username: string; role: string; disabled: boolean; createdAt: number };
export type ApiToken = { id: string; name: string; createdAt: number; lastUsedAt: number | null; revoked: boolean };
export type CreatedApiToken = ApiToken & { token: string };

/** One audit record. */
export type AuditEntry = { id: string; ts: number; actor: string; action: string; target: string; detail: string | null };

/** Who is signed in. */
export type Session = { username: string; role: string; via?: 'token' | 'password' };
