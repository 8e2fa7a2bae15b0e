/**
 * P2 inside `npm start` (issue 13): the local agent runs in a worker thread, so an agent whose event loop is pinned
 * (the finding's regex did that) neither stalls the control plane's loop nor blocks shutdown: `stop(deadline)`
 * terminates it at the deadline. Real worker threads; the entries below speak the worker's messages
 * (local-agent-worker.ts) and misbehave on purpose.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { startLocalAgent, type LocalAgentInit } from './local-agent.ts';

const log = pino({ level: 'silent' });
const init: LocalAgentInit = {
  stateDir: '/nonexistent',
  cycleSeconds: 1,
  logLevel: 'silent',
  httpUrl: 'http://127.0.0.1:1',
  mqttUrl: 'mqtt://127.0.0.1:1',
  credentials: {} as LocalAgentInit['credentials'], // never read by the entries below
};
const entry = (body: string) =>
  new URL(`data:text/javascript,${encodeURIComponent(`import { parentPort } from 'node:worker_threads';\n${body}`)}`);

describe('local agent in a worker thread', () => {
  it('an agent that pins its event loop stalls neither the caller nor shutdown (terminated at the deadline)', async () => {
    const agent = await startLocalAgent(
      init,
      log,
      // started, then spins for good: no message, not even 'stop', is ever handled again
      { workerUrl: entry(`parentPort.postMessage({ type: 'started' }); setTimeout(() => { for (;;) {} }, 0);`) },
    );
    // the caller's loop keeps turning while the agent spins
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    await new Promise((r) => setTimeout(r, 300));
    clearInterval(timer);
    assert.ok(ticks >= 2, `the caller's event loop ran ${ticks} ticks in 300 ms`);
    const t0 = performance.now();
    await agent.stop(500);
    const took = performance.now() - t0;
    assert.ok(took >= 450, `stop waited for the drain deadline (${took} ms)`);
    assert.ok(took < 10_000, `stop ended the spinning agent soon after the deadline (${took} ms)`);
  });

  it('an agent that drains stops before the deadline', async () => {
    const agent = await startLocalAgent(init, log, {
      workerUrl: entry(
        `parentPort.on('message', (m) => { if (m.type === 'stop') parentPort.postMessage({ type: 'stopped' }); });
         parentPort.postMessage({ type: 'started' });`,
      ),
    });
    const t0 = performance.now();
    await agent.stop(60_000);
    assert.ok(performance.now() - t0 < 30_000);
  });

  it('an agent that cannot start is an error with its reason, and one whose worker dies says so', async () => {
    await assert.rejects(
      startLocalAgent(init, log, {
        workerUrl: entry(`parentPort.postMessage({ type: 'error', message: 'no credentials' });`),
      }),
      /local agent: no credentials/,
    );
    await assert.rejects(
      startLocalAgent(init, log, { workerUrl: entry('process.exit(3);') }),
      /local agent: the worker exited before the agent started/,
    );
  });
});
