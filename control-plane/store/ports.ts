/**
 * Repository interfaces (ports) of the control-plane core. One implementation (Prisma, `prisma-store.ts`) serves both
 * SQLite and PostgreSQL; `store.contract.ts` is the shared test suite every implementation must pass.
 */

/** Free-form key → value labels stamped on a host (from its enrollment token and the agent). */
export type Labels = Record<string, string>;

/** An enrolled host as stored. */
export type HostRecord = {
  id: string;
  hostname: string;
  labels: Labels;
  inventory: Record<string, unknown> | null;
  inventoryHash: string | null;
  agentVersion: string | null;
  online: boolean;
  lastSeen: Date | null;
  revokedAt: Date | null;
  appliedPolicyVersion: string | null;
  appliedModels: Record<string, string> | null;
  stateErrors: string[] | null;
  enrolledAt: Date;
  enrollmentTokenId: string | null;
};

export type NewHost = { id: string; hostname: string; labels: Labels; agentVersion: string; inventory?: Record<string, unknown> | null };

export interface HostRepository {
  get(id: string): Promise<HostRecord | null>;
  list(): Promise<HostRecord[]>;
  /** The stored hash of the agent's secret (keys/secrets.ts) and its revocation time; null when unknown. */
  credential(id: string): Promise<{ secretHash: string; revokedAt: Date | null } | null>;
  /** Replaces the secret hash if it is still `from` (compare and set); true when replaced. */
  replaceSecretHash(id: string, from: string, to: string): Promise<boolean>;
  /** Marks the host revoked (idempotent: keeps the first time); throws NotFoundError. */
  revoke(id: string, at: Date): Promise<HostRecord>;
  /** Presence update; ignored (false) for unknown hosts. */
  setPresence(id: string, online: boolean, at: Date, agentVersion?: string): Promise<boolean>;
  /** The same presence for many hosts in a few statements (ingest batches); unknown ids are ignored. Returns how many were updated. */
  setPresenceMany(ids: string[], online: boolean, at: Date): Promise<number>;
  setInventory(id: string, inventory: Record<string, unknown>, hash: string, at: Date): Promise<boolean>;
  setState(id: string, state: { policyVersion: string | null; models: Record<string, string>; errors: string[] }, at: Date): Promise<boolean>;
  /** Marks every host offline (after a restart nobody is connected yet). */
  markAllOffline(): Promise<number>;
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

export type NewEnrollmentToken = { id: string; tokenHash: string; labels: Labels; maxUses: number; expiresAt: Date; createdBy: string | null };

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

export type TimeQuery = { since?: number; until?: number; limit?: number; type?: string };

/** A host's latest telemetry (read side of the fleet overview): null where nothing was stored. */
export type HostActivity = {
  hostId: string;
  /** ts (agent collection time) of the newest sample. */
  lastSampleAt: number | null;
  /** `scores.anomaly.score` of that sample when it is a number. */
  anomaly: number | null;
  /** ts of the newest event. */
  lastEventAt: number | null;
};

export interface TelemetryRepository {
  /** Inserts rows, ignoring (hostId, seq) already stored. Returns how many were new. */
  insertSamples(rows: SampleRow[]): Promise<number>;
  insertEvents(rows: EventRow[]): Promise<number>;
  /** Samples of a host with since <= ts < until, oldest first, at most `limit` (default 1000). */
  listSamples(hostId: string, q: TimeQuery): Promise<SampleRow[]>;
  listEvents(hostId: string, q: TimeQuery): Promise<EventRow[]>;
  /** Latest sample (ts, anomaly score) and event ts of every host, or of one; one statement (index seeks per host). */
  latestActivity(hostId?: string): Promise<HostActivity[]>;
  /** Deletes samples and events with ts < beforeMs. */
  prune(beforeMs: number): Promise<{ samples: number; events: number }>;
}

export type UserRecord = { id: string; username: string; passwordHash: string; createdAt: Date; disabledAt: Date | null };
export type ApiTokenRecord = { id: string; userId: string; name: string; tokenHash: string; createdAt: Date; revokedAt: Date | null };

export interface UserRepository {
  count(): Promise<number>;
  create(user: { id: string; username: string; passwordHash: string }): Promise<UserRecord>;
  findByName(username: string): Promise<UserRecord | null>;
  get(id: string): Promise<UserRecord | null>;
  createApiToken(token: { id: string; userId: string; name: string; tokenHash: string }): Promise<ApiTokenRecord>;
  findApiToken(id: string): Promise<ApiTokenRecord | null>;
}

/** Every repository of the core, over one database. */
export interface Store {
  readonly provider: 'sqlite' | 'postgres';
  readonly hosts: HostRepository;
  readonly tokens: EnrollmentTokenRepository;
  readonly telemetry: TelemetryRepository;
  readonly users: UserRepository;
  close(): Promise<void>;
}
