/**
 * The shapes the UI works with: the API's response types from the shared contract (contract/api/*, the same zod
 * schemas the control plane types its responses with), plus the UI's own session state.
 */
export type {
  Host,
  StoredEvent as HostEvent,
  StoredSample as Sample,
  HostVersions,
} from '../../../contract/api/hosts.ts';
export type { CreatedEnrollmentToken, EnrolledHost, EnrollmentToken } from '../../../contract/api/tokens.ts';
export type { InstallInfo } from '../../../contract/api/install.ts';
export type { ApiToken, AuditEntry, CreatedApiToken, Me, Role, User } from '../../../contract/api/access.ts';
export type { DryRun, PolicySummary, PolicyVersion } from '../../../contract/api/policies.ts';
export type { Rollout, RolloutStatus } from '../../../contract/api/rollouts.ts';
export type { Model } from '../../../contract/api/models.ts';
export type { AgentVersion } from '../../../contract/api/agent-versions.ts';
export type { Approval, Incident, TimelineEntry } from '../../../contract/api/incidents.ts';

/** Who is signed in, and how (the tab's API token or the session cookie set by a password sign-in). */
export type Session = { username: string; role: 'admin' | 'operator' | 'viewer'; via: 'token' | 'password' };

/** An incident's status as shown: an open incident someone acknowledged reads "acknowledged". */
export type IncidentStatus = 'open' | 'acknowledged' | 'resolved' | 'merged';
