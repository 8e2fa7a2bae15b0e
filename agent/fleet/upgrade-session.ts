/**
 * What a starting agent does about an upgrade (the I/O shell around upgrade-record.ts):
 * - after a switch back, the old version reports `agent.rolled-back` once (event, and an error in `state` that fails
 *   the rollout's health gate) and records the failed version in the release file;
 * - as the new version within its window, it watches its own health every `pollMs`: confirmed (enough cycles, and
 *   connected with an ack when the old one was) → `agent.upgraded`, the record removed, the release file written, old
 *   versions pruned; the deadline passed → it switches `current` back and exits with {@link EXIT_ROLLBACK}.
 * A watchdog thread (upgrade-watchdog.ts) backs the second case: when the main loop is stuck and cannot act, it
 * switches back and kills the process at the deadline plus a grace period.
 */
import type { Logger } from 'pino';
import { eventBody } from '../../contract/protocol/events.ts';
import type { EventInput } from '../pipeline/types.ts';
import type { FleetState } from './fleet-state.ts';
import { pruneVersions, readRecord, readRelease, removeRecord, switchBack, writeRelease } from './install-layout.ts';
import {
  EXIT_ROLLBACK,
  healthConfirmed,
  missingHealth,
  rolledBack,
  type HealthView,
  type Release,
  type UpgradeRecord,
} from './upgrade-record.ts';
import { startWatchdog, type Watchdog } from './upgrade-watchdog.ts';

export interface UpgradeSessionDeps {
  stateDir: string;
  running: string;
  log: Logger;
  health: () => HealthView;
  emit: (e: EventInput) => void;
  state: FleetState;
  restart: (code: number, why: string) => void;
  now?: () => number;
  pollMs?: number;
  /** How long after the deadline the watchdog acts when the main loop has not (default 20 s). */
  graceMs?: number;
}

/** What `status` and the state message say about versions. */
export interface ReleaseView {
  previous: string | null;
  rolledBackFrom: string | null;
  pendingUpgrade: string | null;
}

export interface UpgradeSession {
  release(): ReleaseView;
  stop(): void;
}

export function startUpgradeSession(deps: UpgradeSessionDeps): UpgradeSession {
  const now = deps.now ?? Date.now;
  const record = readRecord(deps.stateDir, (why) => deps.log.warn(why));
  let release: Release | null = readRelease(deps.stateDir);
  if (release && release.running !== deps.running) release = null; // written by another version: not ours
  let pending: UpgradeRecord | null = null;
  let timer: NodeJS.Timeout | null = null;
  let watchdog: Watchdog | null = null;

  const save = (r: Release) => {
    release = r;
    writeRelease(deps.stateDir, r);
  };

  if (record?.status === 'rolled-back' && record.from === deps.running) {
    const reason = record.reason ?? 'unknown';
    deps.log.warn({ failed: record.to, running: record.from, reason }, 'rolled back from a failed agent upgrade');
    deps.emit(
      eventBody('agent.rolled-back', {
        severity: 'warning',
        message: `agent ${record.to} rolled back to ${record.from}: ${reason}`,
        data: { from: record.to, to: record.from, reason, attempts: record.attempts },
      }),
    );
    deps.state.fail(`agent ${record.to} rolled back to ${record.from}: ${reason}`);
    save({ running: deps.running, previous: release?.previous ?? null, rolledBackFrom: record.to, at: now() });
    removeRecord(deps.stateDir);
    void deps.state.publish();
  } else if (record?.status === 'pending' && record.to === deps.running) {
    pending = record;
    const beat = new Int32Array(new SharedArrayBuffer(4));
    watchdog = startWatchdog({ record, stateDir: deps.stateDir, beat, graceMs: deps.graceMs ?? 20_000 });
    const t0 = now();
    const poll = () => {
      if (!pending) return;
      Atomics.store(beat, 0, Math.floor((now() - t0) / 1000));
      const h = deps.health();
      if (healthConfirmed(pending, h)) return confirm(pending);
      if (now() > pending.deadline)
        return rollBack(pending, `${pending.to} not healthy in time: ${missingHealth(pending, h)}`);
    };
    timer = setInterval(poll, deps.pollMs ?? 500);
    timer.unref();
  }

  function confirm(r: UpgradeRecord): void {
    pending = null;
    if (timer) clearInterval(timer);
    watchdog?.stop();
    removeRecord(deps.stateDir);
    save({ running: r.to, previous: r.from, rolledBackFrom: null, at: now() });
    const durationMs = now() - r.switchedAt;
    deps.log.info({ from: r.from, to: r.to, durationMs }, 'agent upgrade confirmed');
    deps.emit(
      eventBody('agent.upgraded', {
        severity: 'info',
        message: `agent upgraded from ${r.from} to ${r.to} (healthy ${Math.round(durationMs / 1000)} s after the switch)`,
        data: { from: r.from, to: r.to, durationMs },
      }),
    );
    deps.state.clear('agent ');
    void deps.state.publish();
    try {
      const removed = pruneVersions(r.root, [r.to, r.from]);
      if (removed.length) deps.log.info({ removed }, 'old agent versions removed');
    } catch (err) {
      deps.log.warn({ err: (err as Error).message }, 'pruning old agent versions failed');
    }
  }

  function rollBack(r: UpgradeRecord, reason: string): void {
    pending = null;
    if (timer) clearInterval(timer);
    watchdog?.stop();
    deps.log.error({ from: r.to, to: r.from, reason }, 'agent upgrade failed: switching back');
    switchBack(deps.stateDir, rolledBack(r, reason, now()));
    deps.restart(EXIT_ROLLBACK, `switched back to ${r.from}: ${reason}`);
  }

  return {
    release: () => ({
      previous: release?.previous ?? null,
      rolledBackFrom: release?.rolledBackFrom ?? null,
      pendingUpgrade: pending ? `${pending.from} -> ${pending.to}` : null,
    }),
    stop() {
      if (timer) clearInterval(timer);
      watchdog?.stop();
    },
  };
}
