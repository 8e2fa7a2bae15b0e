/**
 * The upgrade session in real child processes (agent/testing/upgrade-session-child.ts) over a real install layout
 * (`<root>/<version>/`, `current` and `previous` links, the record in the state directory):
 * - healthy: the new version confirms at its first poll, the record goes, the release file says what ran before,
 *   versions older than the previous one are pruned;
 * - never healthy: nothing happens before the deadline; once the injected clock passes it, `current` goes back to the
 *   old version and the process exits with EXIT_ROLLBACK; the old version, started next, reports it once;
 * - disconnected: the old version was connected, the new one never is: rolled back for that reason;
 * - stuck: the main loop never returns, so only the watchdog thread acts: at the deadline plus the grace it switches
 *   back and SIGKILLs the process.
 * No fixed sleeps: the test waits on the child's output lines and its exit, with generous deadlines.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  existsSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readRecord, readRelease, writeRecord } from './install-layout.ts';
import { EXIT_ROLLBACK, type UpgradeRecord } from './upgrade-record.ts';
import type { ReleaseView } from './upgrade-session.ts';

const CHILD = fileURLToPath(new URL('../testing/upgrade-session-child.ts', import.meta.url));
const WAIT_MS = 30_000;

/** One stdout line of the child (upgrade-session-child.ts). */
interface Line {
  ready?: 'started' | 'polled';
  release?: ReleaseView;
  event?: { type: string; message: string };
  state?: { errors: string[] };
  restart?: number;
  why?: string;
  exit?: ReleaseView;
}

interface Child {
  proc: ChildProcess;
  lines: Line[];
  stderr: () => string;
  /** Resolves with the first line matching `pred` (already seen or coming). */
  waitFor(pred: (l: Line) => boolean, what: string): Promise<Line>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  send(line: string): void;
}

function startChild(env: Record<string, string>): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: { ...process.env, HS_POLL_MS: '20', HS_GRACE_MS: '20000', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: Line[] = [];
  const waiters: { pred: (l: Line) => boolean; resolve: (l: Line) => void }[] = [];
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  createInterface({ input: proc.stdout! }).on('line', (raw) => {
    const l = JSON.parse(raw) as Line;
    lines.push(l);
    for (const w of [...waiters])
      if (w.pred(l)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(l);
      }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    proc,
    lines,
    stderr: () => err,
    exited,
    send: (line) => proc.stdin?.write(`${line}\n`),
    waitFor(pred, what) {
      const seen = lines.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no ${what} within ${WAIT_MS} ms; lines: ${JSON.stringify(lines)}; stderr: ${err}`)),
          WAIT_MS,
        );
        waiters.push({
          pred,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
        void exited.then(() => {
          if (!lines.find(pred)) {
            clearTimeout(timer);
            reject(new Error(`the child exited before ${what}; lines: ${JSON.stringify(lines)}; stderr: ${err}`));
          }
        });
      });
    },
  };
}

describe('upgrade session in child processes', () => {
  let dir: string;
  let root: string;
  let stateDir: string;
  const children: Child[] = [];

  /** Versions 0.9.0, 1.0.0 and 2.0.0 installed, `current` switched to 2.0.0, the record pending. */
  const switched = (o: { deadlineInMs: number; requireConnected?: boolean }): UpgradeRecord => {
    for (const v of ['0.9.0', '1.0.0', '2.0.0']) {
      mkdirSync(join(root, v, 'bin'), { recursive: true });
      writeFileSync(join(root, v, 'VERSION'), `${v}\n`);
      writeFileSync(join(root, v, 'bin', 'homeostat-agent'), '#!/bin/sh\n', { mode: 0o755 });
    }
    symlinkSync('2.0.0', join(root, 'current'));
    symlinkSync('1.0.0', join(root, 'previous'));
    const at = Date.now();
    const record: UpgradeRecord = {
      v: 1,
      status: 'pending',
      from: '1.0.0',
      to: '2.0.0',
      root,
      switchedAt: at,
      deadline: at + o.deadlineInMs,
      attempts: 1,
      maxAttempts: 3,
      healthCycles: 3,
      requireConnected: o.requireConnected ?? true,
    };
    writeRecord(stateDir, record);
    return record;
  };
  const child = (running: string, mode: string, extra: Record<string, string> = {}) => {
    const c = startChild({ HS_STATE_DIR: stateDir, HS_RUNNING: running, HS_MODE: mode, ...extra });
    children.push(c);
    return c;
  };
  const current = () => readlinkSync(join(root, 'current'));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hs-upgrade-session-'));
    root = join(dir, 'agent');
    stateDir = join(dir, 'state');
    mkdirSync(root, { recursive: true });
    mkdirSync(stateDir, { recursive: true });
  });
  afterEach(() => {
    for (const c of children.splice(0)) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('healthy: confirms, removes the record, writes the release file and prunes older versions', async () => {
    switched({ deadlineInMs: 60_000 });
    const c = child('2.0.0', 'healthy');
    const upgraded = await c.waitFor((l) => l.event?.type === 'agent.upgraded', 'agent.upgraded');
    assert.match(upgraded.event?.message ?? '', /agent upgraded from 1\.0\.0 to 2\.0\.0/);
    // the event is emitted first; the exit (read from stdin after the confirmation's tick) follows the pruning
    c.send('exit');
    const bye = await c.waitFor((l) => l.exit !== undefined, 'exit');
    assert.deepEqual(bye.exit, { previous: '1.0.0', rolledBackFrom: null, pendingUpgrade: null });
    assert.deepEqual(await c.exited, { code: 0, signal: null });
    assert.equal(readRecord(stateDir), null);
    assert.deepEqual(
      { ...readRelease(stateDir), at: 0 },
      { running: '2.0.0', previous: '1.0.0', rolledBackFrom: null, at: 0 },
    );
    assert.equal(current(), '2.0.0');
    assert.equal(existsSync(join(root, '0.9.0')), false, 'a version older than the previous one is pruned');
    assert.equal(existsSync(join(root, '1.0.0')), true);
  });

  it('never healthy: waits for the deadline on its clock, then switches back; the old version reports it once', async () => {
    switched({ deadlineInMs: 60_000 });
    const c = child('2.0.0', 'unhealthy');
    const started = await c.waitFor((l) => l.ready === 'started', 'start');
    assert.equal(started.release?.pendingUpgrade, '1.0.0 -> 2.0.0');
    await c.waitFor((l) => l.ready === 'polled', 'the first health poll');
    assert.equal(readRecord(stateDir)?.status, 'pending', 'nothing happens before the deadline');
    assert.equal(current(), '2.0.0');
    c.send('advance 61000');
    const restart = await c.waitFor((l) => l.restart !== undefined, 'a restart');
    assert.equal(restart.restart, EXIT_ROLLBACK);
    assert.match(restart.why ?? '', /switched back to 1\.0\.0: 2\.0\.0 not healthy in time: 0\/3 cycles completed/);
    assert.deepEqual(await c.exited, { code: EXIT_ROLLBACK, signal: null });
    assert.equal(current(), '1.0.0');
    assert.equal(readlinkSync(join(root, 'previous')), '2.0.0');
    assert.equal(readRecord(stateDir)?.status, 'rolled-back');

    // The supervisor starts the old version: it reports the rollback once, fails the state, keeps the record no more.
    const old = child('1.0.0', 'healthy');
    const rolled = await old.waitFor((l) => l.event?.type === 'agent.rolled-back', 'agent.rolled-back');
    assert.match(rolled.event?.message ?? '', /agent 2\.0\.0 rolled back to 1\.0\.0: 2\.0\.0 not healthy in time/);
    const state = await old.waitFor((l) => (l.state?.errors.length ?? 0) > 0, 'a state with the error');
    assert.match(state.state?.errors[0] ?? '', /rolled back/);
    await old.waitFor((l) => l.ready === 'started', 'start'); // the session has done its start-up work
    assert.equal(readRecord(stateDir), null);
    assert.equal(readRelease(stateDir)?.rolledBackFrom, '2.0.0');
    old.send('exit');
    assert.deepEqual(await old.exited, { code: 0, signal: null });
    assert.equal(old.lines.filter((l) => l.event?.type === 'agent.rolled-back').length, 1);
  });

  it('disconnected: the old version was connected, the new one cannot reach the control plane: rolled back', async () => {
    switched({ deadlineInMs: 60_000, requireConnected: true });
    const c = child('2.0.0', 'disconnected');
    await c.waitFor((l) => l.ready === 'polled', 'the first health poll');
    assert.equal(readRecord(stateDir)?.status, 'pending');
    c.send('advance 61000');
    const restart = await c.waitFor((l) => l.restart !== undefined, 'a restart');
    assert.equal(restart.restart, EXIT_ROLLBACK);
    assert.match(restart.why ?? '', /not connected to the control plane/);
    assert.deepEqual(await c.exited, { code: EXIT_ROLLBACK, signal: null });
    assert.equal(current(), '1.0.0');
    const rec = readRecord(stateDir);
    assert.equal(rec?.status, 'rolled-back');
    assert.match(rec?.reason ?? '', /not connected to the control plane/);
  });

  it('disconnected is fine when the old version was not connected either: confirmed on cycles', async () => {
    switched({ deadlineInMs: 60_000, requireConnected: false });
    const c = child('2.0.0', 'disconnected');
    await c.waitFor((l) => l.event?.type === 'agent.upgraded', 'agent.upgraded');
    assert.equal(readRecord(stateDir), null);
    c.send('exit');
    await c.exited;
  });

  it('stuck main loop: the watchdog thread switches back at the deadline plus the grace and kills the process', async () => {
    // Real time here: the watchdog runs on the wall clock, as it must when the main loop cannot.
    switched({ deadlineInMs: 300 });
    // (not waiting for the start line: under load the child may start after the deadline, and be killed at once)
    const c = child('2.0.0', 'stuck', { HS_GRACE_MS: '200' });
    const exit = await Promise.race([
      c.exited,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`no exit within ${WAIT_MS} ms: ${c.stderr()}`)), WAIT_MS).unref(),
      ),
    ]);
    assert.deepEqual(exit, { code: null, signal: 'SIGKILL' });
    assert.equal(
      c.lines.some((l) => l.restart !== undefined || l.ready === 'polled'),
      false,
      'the main loop never ran again',
    );
    assert.match(c.stderr(), /homeostat-agent watchdog: 2\.0\.0 .*\(watchdog\); switched back to 1\.0\.0/);
    assert.equal(current(), '1.0.0');
    assert.equal(readlinkSync(join(root, 'previous')), '2.0.0');
    const rec = readRecord(stateDir);
    assert.equal(rec?.status, 'rolled-back');
    assert.match(rec?.reason ?? '', /watchdog/);
    assert.ok(JSON.parse(readFileSync(join(stateDir, 'agent-upgrade.json'), 'utf8')).rolledBackAt > 0);
  });
});
