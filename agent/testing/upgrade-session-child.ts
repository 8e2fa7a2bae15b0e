/**
 * A process that runs the upgrade session (agent/fleet/upgrade-session.ts) as a started agent version would, for
 * upgrade-session.test.ts: the real session, the real install layout and the real watchdog thread, with the health
 * view and the clock driven by the parent. Environment: HS_STATE_DIR, HS_RUNNING (the version this process is),
 * HS_MODE (`healthy`, `unhealthy`, `disconnected`, `stuck`: the main loop busy-loops after the session started),
 * HS_POLL_MS, HS_GRACE_MS. Stdout: one JSON line per event, state, restart and `{"ready":…}`; stdin: `advance <ms>`
 * moves the injected clock. `restart` exits with its code, as the agent does (run-action.ts).
 */
import { createInterface } from 'node:readline';
import { createAgentLogger } from '../logger.ts';
import { createFleetState } from '../fleet/fleet-state.ts';
import { startUpgradeSession } from '../fleet/upgrade-session.ts';
import type { HealthView } from '../fleet/upgrade-record.ts';

const env = (k: string) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const mode = env('HS_MODE');
const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
let offset = 0;
const now = () => Date.now() + offset;
const startedAt = now();

const health = (): HealthView => {
  const t = now();
  if (mode === 'healthy') return { cycles: 10, connected: true, lastAckAt: t, startedAt };
  if (mode === 'disconnected') return { cycles: 10, connected: false, lastAckAt: null, startedAt };
  return { cycles: 0, connected: true, lastAckAt: null, startedAt };
};

let polls = 0;
const session = startUpgradeSession({
  stateDir: env('HS_STATE_DIR'),
  running: env('HS_RUNNING'),
  log: createAgentLogger('warn'),
  health: () => {
    // the first poll done tells the parent the session is watching
    if (++polls === 1) out({ ready: 'polled' });
    return health();
  },
  emit: (e) => out({ event: e }),
  state: createFleetState({
    publish: (m) => {
      out({ state: m });
    },
    now,
  }),
  restart: (code, why) => {
    out({ restart: code, why });
    process.exit(code);
  },
  now,
  pollMs: Number(env('HS_POLL_MS')),
  graceMs: Number(env('HS_GRACE_MS')),
});
out({ ready: 'started', release: session.release() });

if (mode === 'stuck') {
  // A main loop that never returns: no poll, no signal handler runs; only the watchdog thread can act.
  setImmediate(() => {
    for (;;);
  });
} else {
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const [cmd, arg] = line.split(' ');
    if (cmd === 'advance') offset += Number(arg);
    if (cmd === 'exit') {
      session.stop();
      out({ exit: session.release() });
      process.exit(0);
    }
  });
}
