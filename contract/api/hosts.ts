/** Hosts, their telemetry and their versions as the HTTP API returns them (`/api/hosts…`, `/api/fleet/hosts`). */
import { z } from 'zod';
import { Scores } from '../protocol/payloads.ts';
import { EpochMs, IsoTime, Labels } from './common.ts';
import { HostHealth } from './host-health.ts';

/** A host's anomaly alert as of its newest `anomaly.started` / `anomaly.ended` event. */
export const HostAlert = z.object({
  /** An alert episode is on (the newest alert event is `anomaly.started`). */
  active: z.boolean(),
  /** When the episode began (its first high sample, ms), when known. */
  since: EpochMs.nullable(),
  /** The episode's peak score as its newest event reported it. */
  peak: z.number().nullable(),
  /** Time of that event. */
  at: EpochMs,
});
export type HostAlert = z.infer<typeof HostAlert>;

/**
 * A cordoned host keeps running and reporting but is sent no new rollout wave (docs/fleet.md "Cordoned hosts"): since
 * when, who (a user's name, or the host's id when its agent asked with a `heal.cordon` event), from where and why.
 */
export const HostCordon = z.object({
  at: IsoTime,
  by: z.string(),
  source: z.enum(['user', 'agent']),
  reason: z.string(),
});
export type HostCordon = z.infer<typeof HostCordon>;

/** `POST /api/hosts/:id/cordon`: why (shown with the host's Cordoned badge). */
export const CordonRequest = z.object({
  reason: z
    .string({ error: 'reason is required: why the host is cordoned' })
    .trim()
    .min(1, 'reason must not be empty')
    .max(500, 'reason is at most 500 characters'),
});
export type CordonRequest = z.infer<typeof CordonRequest>;

/**
 * One enrolled host. `lastSeen` is the newest of presence, sample and event (`presenceAt` keeps the presence time
 * alone); `anomaly` is the latest sample's score, `anomalyPeak` the highest over the list's window; `alert` its
 * anomaly alert; `openIncidents` and `incidentSeverity` are present when the fleet module runs; `health` is derived
 * from all of these (contract/api/host-health.ts).
 */
export const Host = z.object({
  id: z.string(),
  hostname: z.string(),
  labels: Labels,
  inventory: z.record(z.string(), z.unknown()).nullable(),
  inventoryHash: z.string().nullable(),
  agentVersion: z.string().nullable(),
  /** The version the agent replaced (its rollback target), and its platform (`linux-x64`, …), from its presence. */
  previousAgentVersion: z.string().nullable().optional(),
  agentPlatform: z.string().nullable().optional(),
  online: z.boolean(),
  lastSeen: IsoTime.nullable(),
  revokedAt: IsoTime.nullable(),
  /** Null when not cordoned. */
  cordon: HostCordon.nullable(),
  appliedPolicyVersion: z.string().nullable(),
  appliedModels: z.record(z.string(), z.string()).nullable(),
  stateErrors: z.array(z.string()).nullable(),
  enrolledAt: IsoTime,
  enrollmentTokenId: z.string().nullable(),
  presenceAt: IsoTime.nullable().optional(),
  lastSampleAt: IsoTime.nullable().optional(),
  lastEventAt: IsoTime.nullable().optional(),
  anomaly: z.number().nullable().optional(),
  anomalyPeak: z.number().nullable().optional(),
  alert: HostAlert.nullable().optional(),
  servicesUnhealthy: z.number().nullable().optional(),
  /** The newest sample's highest disk failure probability, and the collectors it reports failing. */
  diskRisk: z.number().nullable().optional(),
  failedCollectors: z.array(z.string()).optional(),
  openIncidents: z.number().int().nonnegative().optional(),
  incidentSeverity: z.enum(['info', 'warning', 'critical']).nullable().optional(),
  health: HostHealth.optional(),
});
export type Host = z.infer<typeof Host>;

/** `GET /api/hosts[?window=15m]`: `anomalyPeak` is over the last `windowMs`. */
export const HostList = z.object({ hosts: z.array(Host), windowMs: z.number().int().positive() });
export type HostList = z.infer<typeof HostList>;

/** One stored sample (`scores` as the agent sent them, see contract/protocol). */
export const StoredSample = z.object({
  hostId: z.string(),
  seq: z.number().int(),
  ts: EpochMs,
  schema: z.string(),
  features: z.record(z.string(), z.number().nullable()),
  collectors: z.record(z.string(), z.string()).nullable().optional(),
  scores: Scores.nullable().optional(),
});
export type StoredSample = z.infer<typeof StoredSample>;

/** `GET /api/hosts/:id/samples`. */
export const SampleList = z.object({
  hostId: z.string(),
  /** Newest first unless `order=asc` was asked. */
  samples: z.array(StoredSample),
  /** Pass as `cursor` for the next page; null when this page was the last. */
  nextCursor: z.string().nullable(),
});
export type SampleList = z.infer<typeof SampleList>;

/**
 * `GET /api/hosts/:id/series`: the host's stored samples over [since, until) downsampled to one per `stepMs` (the one
 * with the highest anomaly score in each step), oldest first.
 */
export const SampleSeries = z.object({
  hostId: z.string(),
  since: EpochMs,
  until: EpochMs,
  stepMs: z.number().int().positive(),
  samples: z.array(StoredSample),
});
export type SampleSeries = z.infer<typeof SampleSeries>;

/** One stored agent event (healing action, detection, escalation…). */
export const StoredEvent = z.object({
  hostId: z.string(),
  seq: z.number().int(),
  ts: EpochMs,
  type: z.string(),
  severity: z.string(),
  message: z.string().nullable().optional(),
  data: z.record(z.string(), z.unknown()),
});
export type StoredEvent = z.infer<typeof StoredEvent>;

/** `GET /api/hosts/:id/events`. */
export const EventList = z.object({
  hostId: z.string(),
  events: z.array(StoredEvent),
  nextCursor: z.string().nullable(),
});
export type EventList = z.infer<typeof EventList>;

/** `GET /api/events`: the fleet's newest events (every host), newest first. */
export const RecentEvents = z.object({ events: z.array(StoredEvent) });
export type RecentEvents = z.infer<typeof RecentEvents>;

const Versions = z.object({ intended: z.string().nullable(), applied: z.string().nullable() });

/** Per host: the policy and model versions the control plane intends vs what the agent acknowledged. */
export const HostVersions = z.object({
  id: z.string(),
  hostname: z.string(),
  labels: Labels,
  online: z.boolean(),
  revoked: z.boolean(),
  policy: Versions,
  models: z.record(z.string(), Versions),
  /** The agent version an agent rollout intends vs the one the agent runs (its presence). */
  agent: Versions.extend({ previous: z.string().nullable(), platform: z.string().nullable() }),
  errors: z.array(z.string()),
  inSync: z.boolean(),
  /** Null when not cordoned; a cordoned host is skipped by every rollout wave. */
  cordon: HostCordon.nullable(),
});
export type HostVersions = z.infer<typeof HostVersions>;

/** `GET /api/fleet/hosts`. */
export const HostVersionList = z.object({ hosts: z.array(HostVersions) });
export type HostVersionList = z.infer<typeof HostVersionList>;

/** `GET /api/metrics`: counters and gauges by name. */
export const Metrics = z.object({
  counters: z.record(z.string(), z.number()),
  gauges: z.record(z.string(), z.number()),
});
export type Metrics = z.infer<typeof Metrics>;
