/**
 * Repository interfaces (ports) of the control-plane core. One implementation (Prisma, `prisma-store.ts`) serves both
 * SQLite and PostgreSQL; `store.contract.ts` is the shared test suite every implementation must pass.
 */

import type { ApprovalRepository } from '../repositories/approval-repository.ts';
import type { AuditRepository } from '../repositories/audit-repository.ts';
import type { IncidentRepository } from '../repositories/incident-repository.ts';
import type { ModelRepository } from '../repositories/model-repository.ts';
import type { PolicyRepository } from '../repositories/policy-repository.ts';
import type { RoleRepository } from '../repositories/role-repository.ts';
import type { RolloutRepository } from '../repositories/rollout-repository.ts';
import type { SessionRepository } from '../repositories/session-repository.ts';
import type { SilenceRepository } from '../repositories/silence-repository.ts';
import type { WebhookRepository } from '../repositories/webhook-repository.ts';
import type { RefitJobRepository } from '../repositories/refit-job-repository.ts';

/** Free-form key → value labels stamped on a host (from its enrollment token and the agent). */
export type Labels = Record<string, string>;

/** What an agent's presence says about itself (contract/protocol PresenceMessage). */
export type AgentPresence = { version: string; previous?: string | null; platform?: string };

/**
 * A host's cordon: it keeps running and reporting but is sent no new rollout wave (docs/fleet.md "Cordoned hosts").
 * `by` is the user's name, or the host's own id when its agent asked (`source: 'agent'`, a `heal.cordon` event).
 */
export type HostCordon = { at: Date; by: string; source: 'user' | 'agent'; reason: string };

/** The agent event that asks the control plane to cordon its host (agent/heal/actions/cordon.ts). */
export const CORDON_EVENT = 'heal.cordon';

/** An enrolled host as stored. */
export type HostRecord = {
  id: string;
  hostname: string;
  labels: Labels;
  inventory: Record<string, unknown> | null;
  inventoryHash: string | null;
  agentVersion: string | null;
  /** The version the agent replaced (null: none known) and its platform (`linux-x64`, …), from its presence. */
  previousAgentVersion: string | null;
  agentPlatform: string | null;
  online: boolean;
  lastSeen: Date | null;
  revokedAt: Date | null;
  /** Null when not cordoned. */
  cordon: HostCordon | null;
  appliedPolicyVersion: string | null;
  appliedModels: Record<string, string> | null;
  stateErrors: string[] | null;
  enrolledAt: Date;
  enrollmentTokenId: string | null;
};

export type NewHost = {
  id: string;
  hostname: string;
  labels: Labels;
  agentVersion: string;
  inventory?: Record<string, unknown> | null;
};

export interface HostRepository {
  get(id: string): Promise<HostRecord | null>;
  list(): Promise<HostRecord[]>;
  /** The stored hash of the agent's secret (keys/secrets.ts) and its revocation time; null when unknown. */
  credential(
    id: string,
  ): Promise<{ secretHash: string; pendingSecretHash?: string | null; revokedAt: Date | null } | null>;
  /** Replaces the secret hash if it is still `from` (compare and set); true when replaced. */
  replaceSecretHash(id: string, from: string, to: string): Promise<boolean>;
  /** Secret rotation: stores the hash of the secret sent to the agent; false when the host has no credential, or,
   * with `expected` (compare and set; null: none pending), when the pending hash is not that. Both secrets work until
   * {@link promotePendingSecret}. */
  setPendingSecretHash(id: string, hash: string, expected?: string | null): Promise<boolean>;
  /** The agent used the rotated secret: it becomes the only one (compare and set on `pending`); true when done. */
  promotePendingSecret(id: string, pending: string): Promise<boolean>;
  /** Secret rotation for an offline agent: marks it to be sent when the agent comes online (keeps the first time);
   * false when the host has no credential. */
  queueRotation(id: string, at: Date): Promise<boolean>;
  /** Clears a queued rotation; true only for the one caller that cleared it (so it is sent once across replicas). */
  takeQueuedRotation(id: string): Promise<boolean>;
  /** Marks the host revoked (idempotent: keeps the first time); throws NotFoundError. */
  revoke(id: string, at: Date): Promise<HostRecord>;
  /** Replaces the host's labels (an administrator's re-label); throws NotFoundError. */
  setLabels(id: string, labels: Labels): Promise<HostRecord>;
  /** Cordons the host; idempotent: a cordoned host keeps its first who/why/since (`changed` false). NotFoundError. */
  cordon(id: string, cordon: HostCordon): Promise<{ host: HostRecord; changed: boolean }>;
  /** Lifts the cordon and records when (`changed` false when it was not cordoned). NotFoundError. */
  uncordon(id: string, at: Date): Promise<{ host: HostRecord; changed: boolean }>;
  /**
   * The agent's stored `heal.cordon` event (hostId, seq) cordons its host: source `agent`, by the host id, the event's
   * message as the reason, since the event's commit time. Not when the host is cordoned already, nor when it was
   * uncordoned after that commit (a re-sent event). True when it cordoned; false too for an unknown event.
   */
  cordonFromEvent(hostId: string, seq: number): Promise<boolean>;
  /** Presence update; ignored (false) for unknown hosts. */
  setPresence(id: string, online: boolean, at: Date, agent?: AgentPresence): Promise<boolean>;
  /** The same presence for many hosts in a few statements (ingest batches); unknown ids are ignored. Returns how many were updated. */
  setPresenceMany(ids: string[], online: boolean, at: Date): Promise<number>;
  setInventory(id: string, inventory: Record<string, unknown>, hash: string, at: Date): Promise<boolean>;
  setState(
    id: string,
    state: { policyVersion: string | null; models: Record<string, string>; errors: string[] },
    at: Date,
  ): Promise<boolean>;
  /** Marks every host offline (after a restart nobody is connected yet). */
  markAllOffline(): Promise<number>;
  /** Hosts not revoked, and of those the ones online (the metrics gauges). */
  counts(): Promise<{ enrolled: number; online: number }>;
}

export type EnrollmentTokenRecord = {
  id: string;
  labels: Labels;
  maxUses: number;
  usesLeft: number;
  expiresAt: Date;
  revokedAt: Date | null;
  createdAt: Date;
  createdBy: string | null;
};

export type NewEnrollmentToken = {
  id: string;
  tokenHash: string;
  labels: Labels;
  maxUses: number;
  expiresAt: Date;
  createdBy: string | null;
};

export interface EnrollmentTokenRepository {
  create(token: NewEnrollmentToken): Promise<EnrollmentTokenRecord>;
  list(): Promise<EnrollmentTokenRecord[]>;
  /** The token and its hash, or null. */
  find(id: string): Promise<{ token: EnrollmentTokenRecord; tokenHash: string } | null>;
  /** Revokes (idempotent); throws NotFoundError. */
  revoke(id: string, at: Date): Promise<EnrollmentTokenRecord>;
  /**
   * Atomically uses one enrollment of the token and creates the host with its credential. Throws ConflictError
   * (reason 'token-expired' | 'token-used-up' | 'token-revoked') or NotFoundError.
   */
  redeem(tokenId: string, now: Date, host: NewHost, secretHash: string): Promise<HostRecord>;
}

export type SampleRow = {
  hostId: string;
  seq: number;
  ts: number;
  schema: string;
  features: Record<string, number | null>;
  collectors?: Record<string, string> | null;
  scores?: Record<string, unknown> | null;
};

export type EventRow = {
  hostId: string;
  seq: number;
  ts: number;
  type: string;
  severity: string;
  message?: string | null;
  data: Record<string, unknown>;
};

export type TimeQuery = {
  since?: number;
  until?: number;
  limit?: number;
  type?: string;
  /** Row order by (ts, seq); default 'asc'. The HTTP API asks for 'desc' (newest first). */
  order?: 'asc' | 'desc';
  /** Keyset cursor: continue strictly after this (ts, seq) in `order` (the last row of the previous page). */
  cursor?: { ts: number; seq: number };
};

/** An event with the time the control plane committed it (the correlator reads in that order). */
export type ReceivedEventRow = EventRow & { receivedAt: Date };

/** A host's latest telemetry (read side of the fleet overview): null where nothing was stored. */
export type HostActivity = {
  hostId: string;
  /** ts (agent collection time) of the newest sample. */
  lastSampleAt: number | null;
  /** ts of the sample before it (with {@link lastSampleAt}, the host's cadence), null with fewer than two. */
  previousSampleAt: number | null;
  /** `scores.anomaly.score` of that sample when it is a number. */
  anomaly: number | null;
  /** ts of the newest event. */
  lastEventAt: number | null;
};

/** The fleet overview's facts about one host (control-plane/store/host-overview.ts). */
export type HostOverview = {
  hostId: string;
  /** Highest `scores.anomaly.score` among its samples with ts >= since (null: none scored). */
  peak: number | null;
  /** Its newest anomaly alert event: started (an alert is on) or ended; `peak`/`startedAt` from its data. */
  alert: {
    type: 'anomaly.started' | 'anomaly.ended';
    ts: number;
    peak: number | null;
    startedAt: number | null;
  } | null;
  /** `services.unhealthy` of its newest sample. */
  servicesUnhealthy: number | null;
  /** The highest disk failure probability of its newest sample (null: no disk scored). */
  diskRisk: number | null;
  /** Collectors its newest sample reports failing (an error, a time-out, a hang; not those merely unavailable). */
  failedCollectors: string[];
};

/** One sample's model outputs, with its host and time (a model canary's figures: scores, latency). */
export interface ScoredSample {
  hostId: string;
  ts: number;
  scores: Record<string, unknown>;
}

/** What {@link TelemetryRepository.seqSpan} reports (inclusive gap ranges, sorted). */
export type SeqSpan = {
  oldest: number | null;
  newest: number | null;
  stored: number;
  gaps: [number, number][];
  truncated: boolean;
};

export interface TelemetryRepository {
  /** Inserts rows, ignoring (hostId, seq) already stored. Returns how many were new. */
  insertSamples(rows: SampleRow[]): Promise<number>;
  insertEvents(rows: EventRow[]): Promise<number>;
  /** Samples of a host with since <= ts < until, oldest first, at most `limit` (default 1000). */
  listSamples(hostId: string, q: TimeQuery): Promise<SampleRow[]>;
  listEvents(hostId: string, q: TimeQuery): Promise<EventRow[]>;
  /**
   * A host's samples with since <= ts < until downsampled to one per `stepMs` bucket (ts - ts mod stepMs): in each,
   * the sample with the highest anomaly score (the earliest among equals, or the earliest when none has a score), so
   * spikes survive; oldest first. At most (until - since) / stepMs + 1 rows, whatever the history length.
   */
  sampleSeries(hostId: string, q: { since: number; until: number; stepMs: number }): Promise<SampleRow[]>;
  /** The fleet's newest `limit` events (all hosts, by ts), newest first; only `types` when given. */
  recentEvents(q: { limit: number; types?: readonly string[] }): Promise<EventRow[]>;
  /** Latest sample (ts, anomaly score) and event ts of every host, or of one; one statement (index seeks per host). */
  latestActivity(hostId?: string): Promise<HostActivity[]>;
  /** Every host's (or one host's) overview facts with the score peak since `sinceMs`; one statement. */
  overview(sinceMs: number, hostId?: string): Promise<HostOverview[]>;
  /** Deletes samples and events with ts < beforeMs. */
  prune(beforeMs: number): Promise<{ samples: number; events: number }>;
  /** How many events of each type the hosts reported with since <= ts < until (one grouped statement). */
  eventTypeCounts(hostIds: string[], q: { since: number; until: number }): Promise<Map<string, number>>;
  /** The hosts' samples' `scores` with since <= ts < until, newest first, at most `limit` (rows without scores skipped). */
  recentScores(hostIds: string[], q: { since: number; until: number; limit: number }): Promise<ScoredSample[]>;
  /**
   * Events committed at or after `since` (all when null), in commit order (receivedAt, hostId, seq), at most `limit`.
   * Several rows share a receivedAt (one batch): the reader skips the keys it has seen at its cursor.
   */
  eventsReceivedSince(since: Date | null, limit: number): Promise<ReceivedEventRow[]>;
  /** The newest commit time and the (host, seq) keys committed at it; null without events. */
  newestReceived(): Promise<{ at: Date; keys: { hostId: string; seq: number }[] } | null>;
  /** Number of stored events, optionally of one type. */
  countEvents(q?: { type?: string }): Promise<number>;
  /**
   * A host's stored seqs (samples and events share one space): oldest, newest, how many, and the gaps below the newest
   * (including [1, oldest-1]), the first `maxGaps` after the oldest (more: `truncated`). Two statements, one index scan each.
   */
  seqSpan(hostId: string, maxGaps?: number): Promise<SeqSpan>;
}

export type UserRecord = {
  id: string;
  username: string;
  passwordHash: string;
  createdAt: Date;
  disabledAt: Date | null;
};
export type ApiTokenRecord = {
  id: string;
  userId: string;
  name: string;
  tokenHash: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
};

export interface UserRepository {
  count(): Promise<number>;
  create(user: { id: string; username: string; passwordHash: string }): Promise<UserRecord>;
  findByName(username: string): Promise<UserRecord | null>;
  get(id: string): Promise<UserRecord | null>;
  createApiToken(token: { id: string; userId: string; name: string; tokenHash: string }): Promise<ApiTokenRecord>;
  findApiToken(id: string): Promise<ApiTokenRecord | null>;
  /** Every user, by username. */
  list(): Promise<UserRecord[]>;
  /** Disables (a time) or enables (null); false when the user is unknown. */
  setDisabled(id: string, at: Date | null): Promise<boolean>;
  setPassword(id: string, passwordHash: string): Promise<boolean>;
  /** Deletes the user and their API tokens; false when the user is unknown. */
  delete(id: string): Promise<boolean>;
  /** A user's tokens, oldest first. */
  listApiTokens(userId: string): Promise<ApiTokenRecord[]>;
  /** Revokes a live token of that user; false when there is none (unknown, someone else's, or already revoked). */
  revokeApiToken(id: string, userId: string, at: Date): Promise<boolean>;
  /** Records that a token was used at `at` (its "last used"). */
  touchApiToken(id: string, at: Date): Promise<void>;
}

/** The fleet's repositories (control-plane/repositories/), over the same database as the core. */
export interface FleetRepositories {
  readonly sessions: SessionRepository;
  readonly roles: RoleRepository;
  readonly audit: AuditRepository;
  readonly policies: PolicyRepository;
  readonly rollouts: RolloutRepository;
  readonly models: ModelRepository;
  readonly incidents: IncidentRepository;
  readonly approvals: ApprovalRepository;
  readonly silences: SilenceRepository;
  readonly webhooks: WebhookRepository;
  readonly refits: RefitJobRepository;
}

/** Every repository of the control plane, over one database. */
export interface Store extends FleetRepositories {
  readonly provider: 'sqlite' | 'postgres';
  readonly hosts: HostRepository;
  readonly tokens: EnrollmentTokenRepository;
  readonly telemetry: TelemetryRepository;
  readonly users: UserRepository;
  close(): Promise<void>;
}
