/**
 * The status file the running agent writes (`<stateDir>/status.json`) and `homeostat agent status` reads.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LinkStatus } from '../link/mqtt-link.ts';
import type { OutboxStats } from '../link/outbox/record.ts';

export type AgentStatus = {
  pid: number;
  agentId: string;
  agentVersion: string;
  /** What ran before this version and the last version this host rolled back from (agent/fleet/upgrade-record.ts). */
  release?: { previous: string | null; rolledBackFrom: string | null; pendingUpgrade?: string | null } | null;
  startedAt: number;
  updatedAt: number;
  state: 'running' | 'draining' | 'stopped';
  link: LinkStatus;
  outbox: OutboxStats;
  cycles: number;
  lastCycle: { ts: number; durationMs: number; seq: number } | null;
  lastError: string | null;
  /** The service manager backend restart-service uses and why (absent when the agent heals nothing). */
  serviceManager?: { backend: 'systemd' | 'supervised'; reason: string } | null;
  /** The models running, by kind: `name@version`, the engine that runs each and why (agent/infer/auto-engine.ts). */
  models?: Record<string, { model: string; engine: string; note?: string }> | null;
};

export const statusPath = (stateDir: string) => join(stateDir, 'status.json');

/** Writes atomically (tmp + rename) so a reader never sees half a file. */
export function writeStatus(stateDir: string, status: AgentStatus): void {
  const file = statusPath(stateDir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(status) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

/** Reads the status file, or null when none exists. */
export function readStatus(stateDir: string): AgentStatus | null {
  try {
    return JSON.parse(readFileSync(statusPath(stateDir), 'utf8')) as AgentStatus;
  } catch {
    return null;
  }
}

/** Whether the process that wrote the status is still alive. */
export function isRunning(status: AgentStatus): boolean {
  if (status.state === 'stopped') return false;
  try {
    process.kill(status.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
