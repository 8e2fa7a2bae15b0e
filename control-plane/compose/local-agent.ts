/**
 * The local agent of `homeostat start` runs in a worker thread, not on the control plane's event loop (issue 13,
 * P2 inside `npm start`): whatever the agent does (a policy that pins its loop, a crash) cannot stall the HTTP API,
 * the broker or ingest, and SIGTERM is honoured within the deadline: the agent is asked to drain and, past
 * `stopDeadlineMs`, terminated (V8 stops even a busy loop). The worker entry is `local-agent-worker.mjs` beside this
 * module: a tsx launcher in the checkout, the bundled entry in dist/control-plane (control-plane/build.mjs).
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Credentials } from '../../agent/enroll/credentials.ts';

export type LocalAgentInit = {
  stateDir: string;
  cycleSeconds: number;
  logLevel: string;
  httpUrl: string;
  mqttUrl: string;
  credentials: Credentials;
};

export type LocalAgent = {
  /** Asks the agent to drain; terminates the worker after `deadlineMs`. Resolves when the worker is gone. */
  stop(deadlineMs?: number): Promise<void>;
};

export const WORKER_URL = new URL('./local-agent-worker.mjs', import.meta.url);

/** Starts the worker; resolves once the agent runs, rejects with its error when it cannot start. `workerUrl`: another
 * entry speaking the same messages (tests: one whose event loop is pinned). */
export function startLocalAgent(
  init: LocalAgentInit,
  log: Logger,
  opts: { workerUrl?: URL } = {},
): Promise<LocalAgent> {
  const worker = new Worker(opts.workerUrl ?? WORKER_URL, { workerData: init });
  const exited = new Promise<void>((r) => worker.once('exit', () => r()));
  let started = false;
  worker.on('error', (err) => log.error({ err: err.message }, 'local agent crashed'));
  worker.once('exit', (code) => {
    if (started && code !== 0) log.error({ code }, 'local agent worker exited');
  });
  const stop = async (deadlineMs = 15_000) => {
    worker.postMessage({ type: 'stop' });
    let timer: NodeJS.Timeout | undefined;
    const gone = await Promise.race([
      new Promise<boolean>((r) =>
        worker.on('message', (m: { type: string }) => {
          if (m.type === 'stopped' || m.type === 'error') r(true);
        }),
      ),
      exited.then(() => true),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(false), deadlineMs);
      }),
    ]);
    clearTimeout(timer);
    if (!gone) log.warn({ deadlineMs }, 'local agent did not drain in time; terminating it');
    await worker.terminate();
    await exited;
  };
  return new Promise<LocalAgent>((resolve, reject) => {
    worker.on('message', (m: { type: string; message?: string }) => {
      if (started) {
        if (m.type === 'error') log.error({ err: m.message }, 'local agent');
        return;
      }
      if (m.type === 'started') {
        started = true;
        resolve({ stop });
      } else if (m.type === 'error') {
        void worker.terminate();
        reject(new Error(`local agent: ${m.message}`));
      }
    });
    void exited.then(() => {
      if (!started) reject(new Error('local agent: the worker exited before the agent started'));
    });
  });
}
