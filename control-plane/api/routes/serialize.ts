import type { Host } from '../../../contract/api/hosts.ts';
import type { EnrollmentToken } from '../../../contract/api/tokens.ts';
import type { EnrollmentTokenRecord, HostActivity, HostRecord } from '../../store/ports.ts';

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const isoMs = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * Host as JSON (dates as ISO strings). With its {@link HostActivity}, it also carries `anomaly` (latest sample's
 * score), `lastSampleAt`, `lastEventAt`, and `lastSeen` becomes the newest of presence, sample and event
 * (`presenceAt` keeps the presence time alone).
 */
export function hostJson(h: HostRecord, activity?: HostActivity): Host {
  const base: Host = {
    ...h,
    lastSeen: iso(h.lastSeen),
    revokedAt: iso(h.revokedAt),
    cordon: h.cordon ? { ...h.cordon, at: h.cordon.at.toISOString() } : null,
    enrolledAt: h.enrolledAt.toISOString(),
  };
  if (!activity) return base;
  const seen = Math.max(
    h.lastSeen?.getTime() ?? -Infinity,
    activity.lastSampleAt ?? -Infinity,
    activity.lastEventAt ?? -Infinity,
  );
  return {
    ...base,
    presenceAt: base.lastSeen,
    lastSeen: Number.isFinite(seen) ? new Date(seen).toISOString() : null,
    lastSampleAt: isoMs(activity.lastSampleAt),
    lastEventAt: isoMs(activity.lastEventAt),
    anomaly: activity.anomaly,
  };
}

/** Enrollment token as JSON (never the secret or its hash). */
export function tokenJson(t: EnrollmentTokenRecord, nowMs = Date.now()): EnrollmentToken {
  const state: EnrollmentToken['state'] = t.revokedAt
    ? 'revoked'
    : t.expiresAt.getTime() <= nowMs
      ? 'expired'
      : t.usesLeft <= 0
        ? 'used-up'
        : 'active';
  return {
    ...t,
    state,
    expiresAt: t.expiresAt.toISOString(),
    revokedAt: iso(t.revokedAt),
    createdAt: t.createdAt.toISOString(),
  };
}
