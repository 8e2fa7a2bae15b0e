/**
 * The demo agents' bridge between simulated faults and the REAL healer (agent/heal createHealer): the demo host has
 * no nginx and no full disk, so the facts are simulated (demo-source.ts reports `facts.services` and
 * `facts.filesystems` from the fault board) while every decision — policy matching, guards, cooldowns, approvals,
 * pauses, the journal — is the real healer's. Its restart-service acts through {@link createDemoServiceManager}, a
 * ServiceManager whose "service" is the fault board; free-disk runs for real on an empty allowed spool directory, and
 * {@link faultObserver} clears the simulated filling disk when the healer reports a successful free-disk.
 */
import type { Stage } from '../../agent/pipeline/types.ts';
import type { ServiceManager } from '../../agent/heal/services/service-manager.ts';
import type { Faults } from './demo-source.ts';

/** The services every demo host "runs" (restart-service targets). */
export const DEMO_SERVICES = ['nginx', 'postgresql'];

/** A ServiceManager over one host's fault board: a stopped service is `faults.serviceDown`; restart clears it. */
export function createDemoServiceManager(faults: Faults): ServiceManager {
  const known = (name: string) => DEMO_SERVICES.includes(name);
  return {
    backend: 'supervised',
    async status(name) {
      if (!known(name)) return { name, state: 'missing', healthy: false };
      const down = faults.serviceDown === name;
      return { name, state: down ? 'dead' : 'running', healthy: !down };
    },
    async start(name) {
      if (faults.serviceDown === name) faults.serviceDown = null;
    },
    async stop(name) {
      if (known(name)) faults.serviceDown = name;
    },
    async restart(name) {
      if (faults.serviceDown === name) faults.serviceDown = null;
    },
    async close() {},
  };
}

/**
 * Wraps the real heal stage: events pass through unchanged; a successful free-disk ends the simulated disk fill
 * (the real action freed an empty spool directory, so the board is told instead).
 */
export function faultObserver(heal: Stage, faults: Faults): Stage {
  return {
    name: heal.name,
    async run(reading, ctx) {
      return heal.run(reading, {
        ...ctx,
        emit: (e) => {
          const d = (e.data ?? {}) as Record<string, unknown>;
          if (e.type === 'heal.executed' && JSON.stringify(d).includes('free-disk')) faults.diskFilling = false;
          ctx.emit(e);
        },
      });
    },
    ...(heal.stop ? { stop: heal.stop } : {}),
  };
}
