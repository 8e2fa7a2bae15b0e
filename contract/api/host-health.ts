/**
 * A host's health for the fleet overview, from known facts first and the anomaly score second, with the reasons in
 * words. The API computes it (`GET /api/hosts`) and the web UI recomputes it when a live sample brings a newer
 * `services.unhealthy`, so both say the same thing:
 *
 * - `offline`: the agent is not connected (the other reasons are still listed);
 * - `critical`: the host is in an open incident of severity critical;
 * - `warning`: in an open warning (or info) incident, a watched service unhealthy (`services.unhealthy > 0`), or an
 *   anomaly alert on (`anomaly.started` without its `anomaly.ended`: a sustained score, never one sample);
 * - `healthy`: none of these. A high score alone, with no alert, does not make a host unhealthy (the score column
 *   shows it).
 */
import { z } from 'zod';

export const HEALTH_STATUSES = ['offline', 'critical', 'warning', 'healthy'] as const;
export const HealthStatus = z.enum(HEALTH_STATUSES);
export type HealthStatus = z.infer<typeof HealthStatus>;

/** Status and why. */
export const HostHealth = z.object({ status: HealthStatus, reasons: z.array(z.string()) });
export type HostHealth = z.infer<typeof HostHealth>;

/** The facts health is derived from. */
export type HealthFacts = {
  online: boolean;
  /** Highest severity among the host's open incidents (null: in none). */
  incidentSeverity: 'info' | 'warning' | 'critical' | null;
  openIncidents: number;
  servicesUnhealthy: number | null;
  /** An anomaly alert is on (the host's `alert.since` says since when). */
  alertActive: boolean;
};

/** Derives the host's health (pure). */
export function hostHealth(f: HealthFacts): HostHealth {
  const reasons: string[] = [];
  if (!f.online) reasons.push('agent offline');
  if (f.openIncidents > 0)
    reasons.push(
      `in ${f.openIncidents} open incident${f.openIncidents > 1 ? 's' : ''} (${f.incidentSeverity ?? 'warning'})`,
    );
  const unhealthy = f.servicesUnhealthy ?? 0;
  if (unhealthy > 0) reasons.push(`${unhealthy} service${unhealthy > 1 ? 's' : ''} unhealthy`);
  if (f.alertActive) reasons.push('anomaly alert on');
  const status: HealthStatus = !f.online
    ? 'offline'
    : f.incidentSeverity === 'critical'
      ? 'critical'
      : reasons.length > 0
        ? 'warning'
        : 'healthy';
  return { status, reasons };
}
