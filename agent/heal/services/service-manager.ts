/**
 * The ServiceManager port: what restart-service (and the fault harness) needs from a service supervisor.
 * Backends: systemd (systemctl through an exec port) and supervised (the agent runs configured commands).
 * One contract suite (service-manager.contract.ts) runs against both.
 */
import { HomeostatError } from '../../../contract/errors.ts';
import type { ServiceFact } from '../types.ts';

export interface ServiceManager {
  readonly backend: 'systemd' | 'supervised';
  /** Current state; `healthy` true when running. Unknown services report state 'missing'. */
  status(name: string): Promise<ServiceFact>;
  start(name: string): Promise<void>;
  /** Stops gracefully (SIGTERM, then SIGKILL after the grace period). Stopping a stopped service is a no-op. */
  stop(name: string): Promise<void>;
  /** Stop (if running) then start. */
  restart(name: string): Promise<void>;
  /** Stops everything this manager started (supervised) — nothing for systemd. */
  close(): Promise<void>;
}

/** A service operation failed; `service` and `operation` name what. */
export class ServiceError extends HomeostatError {
  override name = 'ServiceError';
  constructor(
    public readonly service: string,
    public readonly operation: string,
    detail: string,
  ) {
    super(`service '${service}' ${operation} failed: ${detail}`);
  }
}

/** Runs a program without a shell (systemd backend); resolves with its exit code and output. */
export type ExecFn = (
  file: string,
  args: string[],
  opts?: { timeoutMs?: number },
) => Promise<{ code: number | null; stdout: string; stderr: string }>;
