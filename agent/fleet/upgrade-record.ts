/**
 * The pending-upgrade record and the decisions made on it (pure; the clock and the running version passed in).
 *
 * The upgrader writes `<stateDir>/agent-upgrade.json` before it switches `current` to the new version: from, to,
 * where both are installed, the deadline by which the new version must confirm its health, and how many times it may
 * start without confirming. Three readers act on it:
 * - the upgrade guard (agent/fleet/upgrade-guard-main.ts), run by the launcher before the agent code is loaded:
 *   counts the start, and switches back when the attempts are used up or the deadline passed ({@link guardStart});
 * - the new version once running: confirms when it completed enough cycles and, when the old one was connected,
 *   connected and got an ack ({@link healthConfirmed}); a watchdog thread switches back at the deadline even when the
 *   main loop is stuck;
 * - the old version after a switch back: reports `agent.rolled-back` once ({@link UpgradeRecord.status}).
 */
import { z } from 'zod';

/** File name of the record in the state directory. */
export const UPGRADE_RECORD = 'agent-upgrade.json';
/** File name of what ran before (`homeostat-agent status`, the UI): running, previous, last rollback. */
export const RELEASE_FILE = 'agent-release.json';

/** Exit code of an agent that switched `current` to a new version: the supervisor restarts it (systemd Restart=). */
export const EXIT_UPGRADE = 75;
/** Exit code of an agent (or guard) that switched `current` back: restart into the previous version. */
export const EXIT_ROLLBACK = 76;

const version = z.string().regex(/^[0-9A-Za-z][0-9A-Za-z.+~-]{0,63}$/);

export const UpgradeRecordSchema = z.object({
  v: z.literal(1),
  /** `pending` until confirmed (then the file is removed); `rolled-back` until the old version reported it. */
  status: z.enum(['pending', 'rolled-back']),
  from: version,
  to: version,
  /** Install root (holds `<version>/` directories and the `current` link). */
  root: z.string().min(1),
  switchedAt: z.number(),
  deadline: z.number(),
  attempts: z.number().int().nonnegative(),
  maxAttempts: z.number().int().positive(),
  healthCycles: z.number().int().positive(),
  /** The old version was connected to the control plane: the new one must connect and get an ack too. */
  requireConnected: z.boolean(),
  reason: z.string().max(2000).optional(),
  rolledBackAt: z.number().optional(),
});
export type UpgradeRecord = z.infer<typeof UpgradeRecordSchema>;

/** What a start of the agent does with the record. */
export type GuardDecision =
  | { action: 'run'; write: UpgradeRecord | null }
  | { action: 'rollback'; write: UpgradeRecord; reason: string };

/**
 * Decides at a start of version `running`. Only a start of the new version (`to`) while the record is pending counts:
 * the old version, a rolled-back record or another version run by hand go on untouched.
 */
export function guardStart(record: UpgradeRecord | null, running: string, now: number): GuardDecision {
  if (!record || record.status !== 'pending' || running !== record.to) return { action: 'run', write: null };
  const attempts = record.attempts + 1;
  let reason: string | null = null;
  if (now > record.deadline)
    reason = `${record.to} did not confirm its health within ${Math.round((record.deadline - record.switchedAt) / 1000)} s`;
  else if (attempts > record.maxAttempts)
    reason = `${record.to} started ${record.attempts} time(s) without confirming its health (crashed at start?)`;
  if (reason) return { action: 'rollback', write: rolledBack({ ...record, attempts }, reason, now), reason };
  return { action: 'run', write: { ...record, attempts } };
}

/** The record after switching back. */
export function rolledBack(record: UpgradeRecord, reason: string, now: number): UpgradeRecord {
  return { ...record, status: 'rolled-back', reason, rolledBackAt: now };
}

/** What the running agent knows about its own health. */
export interface HealthView {
  cycles: number;
  connected: boolean;
  /** Newest ack from the control plane (ms), null before the first. */
  lastAckAt: number | null;
  /** When this process started (ms): acks before it belong to an older process. */
  startedAt: number;
}

/** Whether the new version has shown it works: enough cycles, and connected with an ack when the old one was. */
export function healthConfirmed(record: UpgradeRecord, h: HealthView): boolean {
  if (h.cycles < record.healthCycles) return false;
  if (!record.requireConnected) return true;
  return h.connected && h.lastAckAt !== null && h.lastAckAt >= h.startedAt;
}

/** Why the new version is not confirmed yet, for the log and the rollback reason. */
export function missingHealth(record: UpgradeRecord, h: HealthView): string {
  const parts: string[] = [];
  if (h.cycles < record.healthCycles) parts.push(`${h.cycles}/${record.healthCycles} cycles completed`);
  if (record.requireConnected && !h.connected) parts.push('not connected to the control plane');
  else if (record.requireConnected && (h.lastAckAt === null || h.lastAckAt < h.startedAt)) parts.push('no ack yet');
  return parts.join(', ') || 'healthy';
}

/** The release file: what runs, what ran before, and the last version this host rolled back from. */
export const ReleaseSchema = z.object({
  running: version,
  previous: version.nullable(),
  rolledBackFrom: version.nullable().default(null),
  at: z.number(),
});
export type Release = z.infer<typeof ReleaseSchema>;
