/**
 * The in-process backstop of an upgrade: a worker thread that keeps running when the agent's main loop is stuck (a
 * cycle that never ends, a busy loop, a deadlock on I/O). If the main thread has neither confirmed the new version
 * nor switched back by the deadline plus `graceMs`, the worker switches `current` back to the old version itself,
 * marks the record rolled back (the old version reports it), writes one line to stderr and kills the process with
 * SIGKILL (a stuck loop runs no signal handlers); the supervisor starts the old version.
 *
 * The main thread stores its uptime in seconds in `beat` on every health poll, so the reason says whether the loop
 * was stuck or merely unhealthy. The worker is plain CommonJS (eval), with no access to the agent's modules: it does
 * the same link switch as install-layout.ts with node:fs only.
 */
import { Worker } from 'node:worker_threads';
import type { UpgradeRecord } from './upgrade-record.ts';

const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
const { record, stateDir, beat, fireAt, startedAt } = workerData;
const link = (name, target) => {
  const tmp = path.join(record.root, '.' + name + '.watchdog');
  fs.rmSync(tmp, { force: true });
  fs.symlinkSync(target, tmp);
  fs.renameSync(tmp, path.join(record.root, name));
};
const fire = () => {
  const lastBeat = startedAt + Atomics.load(beat, 0) * 1000;
  const quiet = Math.round((Date.now() - lastBeat) / 1000);
  const reason = quiet > 10
    ? record.to + ' stalled: its main loop did not run for ' + quiet + ' s (watchdog)'
    : record.to + ' did not confirm its health by the deadline (watchdog)';
  try {
    link('current', record.from);
    try { link('previous', record.to); } catch {}
    const file = path.join(stateDir, 'agent-upgrade.json');
    const out = { ...record, status: 'rolled-back', reason, rolledBackAt: Date.now() };
    fs.writeFileSync(file + '.watchdog.tmp', JSON.stringify(out, null, 2) + '\\n', { mode: 0o600 });
    fs.renameSync(file + '.watchdog.tmp', file);
    fs.writeSync(2, 'homeostat-agent watchdog: ' + reason + '; switched back to ' + record.from + '\\n');
  } catch (err) {
    fs.writeSync(2, 'homeostat-agent watchdog: switching back failed: ' + err.message + '\\n');
  }
  process.kill(process.pid, 'SIGKILL');
};
const timer = setTimeout(fire, Math.max(0, fireAt - Date.now()));
parentPort.on('message', () => { clearTimeout(timer); parentPort.close(); });
`;

export interface Watchdog {
  stop(): void;
}

/** Starts the watchdog thread for a pending upgrade; it never keeps the process alive. */
export function startWatchdog(o: {
  record: UpgradeRecord;
  stateDir: string;
  beat: Int32Array;
  graceMs: number;
}): Watchdog {
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: {
      record: o.record,
      stateDir: o.stateDir,
      beat: o.beat,
      fireAt: o.record.deadline + o.graceMs,
      startedAt: Date.now(),
    },
  });
  worker.unref();
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      worker.postMessage('stop');
    },
  };
}
