/** `homeostat-agent run`: runs the agent in the foreground until SIGTERM/SIGINT, then drains. */
import { createAgentLogger } from '../logger.ts';
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
  // a config a part refuses (e.g. an invalid heal section) is one error line and exit 1, not a stack trace
  const agent = await assembleAgent(cfg, creds, { logger, ...(maxCycles ? { maxCycles } : {}) }).catch((err) =>
    fail(err),
  );
  await agent.start();
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (sig: NodeJS.Signals) => {
      if (stopping) process.exit(130);
      stopping = true;
      logger.info({ signal: sig }, 'draining');
      agent.stop().then(resolve, (err: Error) => {
        logger.error({ err: err.message }, 'stop failed');
        resolve();
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
