/** What the HTTP routes need; built by server.ts. */
import type { Logger } from 'pino';
import type { Store } from '../store/ports.ts';
import type { Enrollment } from '../enrollment/enrollment.ts';
import type { SecretRotation } from '../enrollment/secret-rotation.ts';
import type { Counters } from '../metrics/counters.ts';
import type { createApiAuth } from './auth.ts';
import type { BodyLimits } from './body-limits.ts';
import type { LossLedger } from '../ingest/loss-ledger.ts';
import type { InstallInfo } from '../../contract/api/install.ts';

export type ApiDeps = {
  store: Store;
  enrollment: Enrollment;
  auth: ReturnType<typeof createApiAuth>;
  counters: Counters;
  /** Current gauges (ingest queue depth, connected clients, …) for /api/metrics. */
  gauges(): Record<string, number>;
  log: Logger;
  /**
   * Optional: open incidents per host id (supplied by the fleet module, which owns incidents). When set, host JSON
   * carries `openIncidents` (0 for hosts in none) and `incidentSeverity`; without it (core only) they are absent.
   */
  openIncidentsByHost?: OpenIncidentsByHost;
  /** How a host installs the agent from here (`GET /api/enrollment/install`); absent: that route answers 404. */
  installInfo?: () => InstallInfo;
  /** Agent secret rotation (`POST /api/hosts/:id/rotate-secret`); absent: that route answers 404. */
  secretRotation?: SecretRotation;
  /** Loss accounting per host (`GET /api/hosts/:id/loss`); computed on request from the store when absent. */
  loss?: LossLedger;
  /** Request body limits (api/body-limits.ts); defaults when absent. */
  bodyLimits?: Partial<BodyLimits>;
};

/** Reads every host's open-incident count and their highest severity in one query; hosts in none may be absent. */
export type OpenIncidentsByHost = () => Promise<
  Map<string, { count: number; severity: 'info' | 'warning' | 'critical' }>
>;
