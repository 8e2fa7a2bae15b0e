/**
 * Option parsing shared by the `homeostat-agent` subcommands. Imports only commander, so `--help` stays cheap.
 */
import { InvalidArgumentError, type Command } from 'commander';

/** Default config file, read when present and neither --config nor $HOMEOSTAT_AGENT_CONFIG is given. */
export const DEFAULT_CONFIG = '/etc/homeostat/agent.yaml';

/** Options every subcommand takes. */
export type CommonOpts = { config?: string; stateDir?: string; logLevel?: string };

/** `--labels role=db,zone=a` → `{ role: 'db', zone: 'a' }`. */
export function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const i = pair.indexOf('=');
    if (i <= 0) throw new InvalidArgumentError(`label '${pair}' is not key=value`);
    out[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return out;
}

/** A commander parser for a positive number named `name` in its error message. */
export const positiveNumber = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number, got '${v}'`);
  return n;
};

/** Adds --config and --state-dir to a subcommand. */
export const withCommonOptions = (c: Command) =>
  c
    .option(
      '-c, --config <file>',
      `agent config YAML (default: $HOMEOSTAT_AGENT_CONFIG or ${DEFAULT_CONFIG} if present)`,
    )
    .option('--state-dir <dir>', 'state directory (default: /var/lib/homeostat as root, ~/.homeostat/agent otherwise)');

/** Prints `error: <message>` on stderr and exits 1. */
export function fail(err: unknown): never {
  process.stderr.write(`error: ${(err as Error).message}\n`);
  process.exit(1);
}
