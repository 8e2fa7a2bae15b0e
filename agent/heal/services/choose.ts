/**
 * Which ServiceManager backend the agent uses on this host: systemd when PID 1 is systemd (what docs/policies.md
 * promises for restart-service), else the supervised backend over `heal.services`. Decided once at start-up from
 * `/proc/1/comm` (an injected reader, so the choice is unit-tested without a systemd host) and stated by
 * `homeostat-agent status`.
 */
import { readFileSync } from 'node:fs';
import type { ExecFn, ServiceManager } from './service-manager.ts';
import { createSystemdServiceManager } from './systemd.ts';
import { createSupervisedServiceManager } from './supervised.ts';
import type { SupervisedServiceConfig } from '../config.ts';

/** Reads the command name of PID 1 (`/proc/1/comm`), or null when it cannot be read. */
export type Pid1Reader = () => string | null;

/** The default reader: `<procRoot>/1/comm`, trimmed. */
export function procPid1Reader(procRoot = '/proc'): Pid1Reader {
  return () => {
    try {
      return readFileSync(`${procRoot}/1/comm`, 'utf8').trim() || null;
    } catch {
      return null;
    }
  };
}

/** The backend chosen and why, e.g. `{ backend: 'supervised', reason: 'PID 1 is tini, not systemd' }`. */
export interface ServiceBackendChoice {
  backend: ServiceManager['backend'];
  reason: string;
}

/** Chooses the backend from PID 1's command name. */
export function chooseServiceBackend(readPid1: Pid1Reader = procPid1Reader()): ServiceBackendChoice {
  const comm = readPid1();
  if (comm === 'systemd') return { backend: 'systemd', reason: 'PID 1 is systemd' };
  return {
    backend: 'supervised',
    reason: comm ? `PID 1 is ${comm}, not systemd` : 'PID 1 is unknown (/proc/1/comm unreadable)',
  };
}

/** Options of {@link createServiceManager}. */
export interface ServiceManagerOptions {
  services: SupervisedServiceConfig[];
  stateDir: string;
  readPid1?: Pid1Reader;
  /** systemd backend only: the exec port (default execFile). */
  exec?: ExecFn;
}

/**
 * Builds the backend {@link chooseServiceBackend} picks; returns it with the choice. On systemd, services configured
 * in `heal.services` stay with the supervised backend (the agent started them; systemd does not know them); every
 * other name is a systemd unit.
 */
export function createServiceManager(opts: ServiceManagerOptions): {
  manager: ServiceManager;
  choice: ServiceBackendChoice;
} {
  const choice = chooseServiceBackend(opts.readPid1);
  const supervised = () => createSupervisedServiceManager({ services: opts.services, stateDir: opts.stateDir });
  if (choice.backend === 'supervised') return { manager: supervised(), choice };
  const systemd = createSystemdServiceManager(opts.exec ? { exec: opts.exec } : {});
  if (opts.services.length === 0) return { manager: systemd, choice };
  const own = supervised();
  const names = new Set(opts.services.map((s) => s.name));
  const pick = (name: string) => (names.has(name) ? own : systemd);
  return {
    choice: { ...choice, reason: `${choice.reason}; heal.services (${[...names].join(', ')}) supervised by the agent` },
    manager: {
      backend: 'systemd',
      status: (name) => pick(name).status(name),
      start: (name) => pick(name).start(name),
      stop: (name) => pick(name).stop(name),
      restart: (name) => pick(name).restart(name),
      close: () => own.close(),
    },
  };
}
