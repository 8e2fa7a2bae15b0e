/**
 * Where a `homeostat-agent` subcommand gets its config: --config, else $HOMEOSTAT_AGENT_CONFIG, else
 * /etc/homeostat/agent.yaml when present; command-line options override the file.
 */
import { existsSync } from 'node:fs';
import { loadAgentConfig } from '../config/load.ts';
import type { AgentConfig } from '../config/schema.ts';
import { DEFAULT_CONFIG, type CommonOpts } from './options.ts';

/** Loads and validates the config for a subcommand. @throws AgentConfigError listing every problem. */
export function configFor(opts: CommonOpts, extra: Record<string, unknown> = {}): AgentConfig {
  const envFile = process.env.HOMEOSTAT_AGENT_CONFIG;
  const file = opts.config ?? envFile ?? (existsSync(DEFAULT_CONFIG) ? DEFAULT_CONFIG : undefined);
  return loadAgentConfig({ file, overrides: { stateDir: opts.stateDir, logLevel: opts.logLevel, ...extra } });
}
