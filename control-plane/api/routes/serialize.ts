import type { EnrollmentTokenRecord, HostRecord } from '../../store/ports.ts';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Host as JSON (dates as ISO strings). */
export function hostJson(h: HostRecord) {
  return { ...h, lastSeen: iso(h.lastSeen), revokedAt: iso(h.revokedAt), enrolledAt: h.enrolledAt.toISOString() };
}

/** Enrollment token as JSON (never the secret or its hash). */
export function tokenJson(t: EnrollmentTokenRecord, nowMs = Date.now()) {
  const state = t.revokedAt ? 'revoked' : t.expiresAt.getTime() <= nowMs ? 'expired' : t.usesLeft <= 0 ? 'used-up' : 'active';
  return { ...t, state, expiresAt: t.expiresAt.toISOString(), revokedAt: iso(t.revokedAt), createdAt: t.createdAt.toISOString() };
}
