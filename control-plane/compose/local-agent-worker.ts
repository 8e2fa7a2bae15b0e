/**
 * The local agent of `homeostat start`, inside a worker thread (see local-agent.ts): assembles and runs the real
 * agent; `{type:'stop'}` drains it. Reports `{type:'started'}`, `{type:'error',message}` or `{type:'stopped'}`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { assembleAgent } from '../../agent/assemble.ts';
import { loadAgentConfig } from '../../agent/config/load.ts';
import type { LocalAgentInit } from './local-agent.ts';

const init = workerData as LocalAgentInit;
const port = parentPort!;
const logger = pino({ level: init.logLevel }, pino.destination({ fd: 2, sync: true })).child({ component: 'agent' });
try {
  const config = loadAgentConfig({
    overrides: {
      stateDir: init.stateDir,
      cycleSeconds: init.cycleSeconds,
      logLevel: init.logLevel,
      server: { url: init.httpUrl, mqttUrl: init.mqttUrl },
    },
  });
  const agent = await assembleAgent(config, init.credentials, { logger });
  await agent.start();
  port.on('message', (m: { type: string }) => {
    if (m.type !== 'stop') return;
    agent.stop().then(
      () => port.postMessage({ type: 'stopped' }),
      (err: Error) => port.postMessage({ type: 'error', message: `agent stop failed: ${err.message}` }),
    );
  });
  port.postMessage({ type: 'started' });
} catch (err) {
  port.postMessage({ type: 'error', message: (err as Error).message });
}
