/**
 * What every action implementation gets (ports, config) and returns. Actions never throw for expected
 * outcomes: they return `refused` (a safety rule said no), `unavailable` (this host cannot), or `failed`.
 */
import type { HealConfig } from '../config.ts';
import type { ServiceManager } from '../services/service-manager.ts';

export interface ActionResult {
  status: 'done' | 'refused' | 'unavailable' | 'failed';
  detail: string;
  data?: Record<string, unknown>;
}

/** Observes every side effect (for audits and the benchmark's "outside the target" count). */
export interface ActionAudit {
  signalled(pid: number, signal: NodeJS.Signals): void;
  touched(path: string, op: 'unlink' | 'rename' | 'truncate' | 'write' | 'exec'): void;
}

export interface ActionContext {
  config: HealConfig;
  serviceManager: ServiceManager;
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Sends a signal (default `process.kill`); injectable so tests can prove pid 1 is never signalled. */
  kill(pid: number, signal: NodeJS.Signals | 0): void;
  /** The agent's own pid (never killed, nor its ancestors). */
  selfPid: number;
  /** Root of the proc filesystem (default '/proc'). */
  procRoot: string;
  audit: ActionAudit;
}

export const noAudit: ActionAudit = { signalled() {}, touched() {} };

export const done = (detail: string, data?: Record<string, unknown>): ActionResult => ({
  status: 'done',
  detail,
  data,
});
export const refused = (detail: string, data?: Record<string, unknown>): ActionResult => ({
  status: 'refused',
  detail,
  data,
});
export const failed = (detail: string, data?: Record<string, unknown>): ActionResult => ({
  status: 'failed',
  detail,
  data,
});
export const unavailable = (detail: string): ActionResult => ({ status: 'unavailable', detail });
