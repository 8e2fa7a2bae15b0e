/**
 * A host's health for the fleet overview, from known facts first and the anomaly score second, with the reasons in
 * words. The API computes it (`GET /api/hosts`) and the web UI recomputes it when a live sample brings a newer
 * `services.unhealthy`, so both say the same thing:
 *
 * - `offline`: the agent is not connected (the other reasons are still listed);
 * - `critical`: the host is in an open incident of severity critical;
 * - `warning`: in an open warning (or info) incident, a watched service unhealthy (`services.unhealthy > 0`), a disk
 *   at failure risk (the newest sample's highest disk failure probability ≥ {@link DISK_RISK_WARNING}), a collector
 *   failing (an error, a time-out or a hang; not one merely unavailable on this host), or an anomaly alert on
 *   (`anomaly.started` without its `anomaly.ended`: a sustained score, never one sample);
 * - `healthy`: none of these. A high score alone, with no alert, does not make a host unhealthy (the score column
 *   shows it).
 */
import { z } from 'zod';

export const HEALTH_STATUSES = ['offline', 'critical', 'warning', 'healthy'] as const;
export const HealthStatus = z.enum(HEALTH_STATUSES);
export type HealthStatus = z.infer<typeof HealthStatus>;

/** A disk failure probability at or above this makes a host `warning` (the disk model's own alert level). */
export const DISK_RISK_WARNING = 0.5;

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
  /** The newest sample's highest disk failure probability (null or absent: no disk scored). */
  diskRisk?: number | null;
  /** Collectors the newest sample reports failing. */
  failedCollectors?: readonly string[];
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
  if (f.diskRisk != null && f.diskRisk >= DISK_RISK_WARNING) reasons.push(`disk failure risk ${f.diskRisk.toFixed(2)}`);
  const failed = f.failedCollectors ?? [];
  if (failed.length) reasons.push(`collector${failed.length > 1 ? 's' : ''} failing: ${failed.join(', ')}`);
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
