/** `homeostat-agent run`: runs the agent in the foreground until SIGTERM/SIGINT, then drains. */
import { createAgentLogger } from '../logger.ts';
import type { Agent } from '../agent.ts';
import { assembleAgent } from '../assemble.ts';
import type { AgentConfig } from '../config/schema.ts';
import { loadCredentials, type Credentials } from '../enroll/credentials.ts';
import { configFor } from './load-config.ts';
import { fail, type CommonOpts } from './options.ts';

/** Options of `homeostat-agent run`. */
export type RunOpts = CommonOpts & { cycleSeconds?: number; maxCycles?: number };

/** Loads config and credentials, then runs until a signal; exits 1 with one error line when it cannot start. */
export async function runAction(opts: RunOpts): Promise<void> {
  let cfg: AgentConfig;
  try {
    cfg = configFor(opts, { cycleSeconds: opts.cycleSeconds });
  } catch (err) {
    fail(err);
  }
  const creds = loadCredentials(cfg.stateDir);
  if (!creds) {
    fail(
      new Error(
        `not enrolled: no credentials in ${cfg.stateDir}; run homeostat-agent enroll --server URL --token TOKEN`,
      ),
    );
  }
  await runUntilSignal(cfg, creds, opts.maxCycles);
}

/** Runs the agent until SIGTERM/SIGINT, then drains; a second signal exits at once. */
async function runUntilSignal(cfg: AgentConfig, creds: Credentials, maxCycles?: number): Promise<void> {
  const logger = createAgentLogger(cfg.logLevel);
  let stopping = false;
  let exitCode = 0;
  let drained: () => void = () => {};
  const done = new Promise<void>((resolve) => (drained = resolve));
  let agent: Agent | null = null;
  const drain = () => {
    if (!agent) return process.exit(exitCode);
    agent.stop().then(drained, (err: Error) => {
      logger.error({ err: err.message }, 'stop failed');
      drained();
    });
  };
  // An upgrade switched `current` (exit 75) or switched it back (exit 76): drain like on SIGTERM, then exit with the
  // code so the supervisor (systemd Restart=always) starts whatever `current` points to now.
  const restart = (code: number, why: string) => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    logger.warn({ exitCode: code }, why);
    drain();
  };
  // a config a part refuses (e.g. an invalid heal section) is one error line and exit 1, not a stack trace
  agent = await assembleAgent(cfg, creds, { logger, restart, ...(maxCycles ? { maxCycles } : {}) }).catch((err) =>
    fail(err),
  );
  await agent.start();
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    logger.info({ signal: sig }, 'draining');
    drain();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  await done;
  if (exitCode !== 0) {
    // the logger (pino to stderr) is flushed synchronously; exit now rather than wait for stray handles
    process.exit(exitCode);
  }
}
