/**
 * `homeostat-agent`: the program that runs on every host (enroll once, then run; status any time).
 * Subcommands are declared here with commander alone; each action imports its implementation when it runs, so
 * `homeostat-agent --help` loads nothing but commander.
 */
import { plainDefaults } from '../../contract/cli/help-style.ts';
import { Command } from 'commander';
import { parseLabels, positiveNumber, withCommonOptions } from './options.ts';
import type { EnrollOpts } from './enroll-action.ts';
import type { RunOpts } from './run-action.ts';
import type { StatusOpts } from './status-action.ts';

/** The agent's version, printed by --version. */
export const AGENT_CLI_VERSION = '0.1.0';

/** Builds the program; no subcommand implementation is loaded until its action runs. */
export function buildAgentProgram(): Command {
  const program = new Command('homeostat-agent')
    .description(
      "Homeostat agent: collects this host's health, runs the models, heals it and reports to the control plane",
    )
    .showHelpAfterError()
    .version(AGENT_CLI_VERSION);

  withCommonOptions(program.command('enroll'))
    .description("exchange an enrollment token for this host's identity; stores it in the state dir (mode 0600)")
    .requiredOption('--server <url>', 'control plane HTTP URL, e.g. http://cp.example:8080')
    .option('--token <token>', 'one-time enrollment token (homeostat token create)')
    .option('--token-file <file>', "read the token from a file ('-' = stdin), so it is not in the process list")
    .option('--labels <k=v,...>', 'host labels, e.g. role=db,zone=a', parseLabels)
    .option('--ca-file <file>', 'https:// server: verify it against this PEM CA and pin it (docs/tls.md)')
    .option('--ca-sha256 <hex>', 'https:// server: pin the presented certificate with this sha256 (Enrollment page)')
    .option('--force', 'enroll again even if this state dir already has an identity')
    .action(async (opts: EnrollOpts) => (await import('./enroll-action.ts')).enrollAction(opts));

  withCommonOptions(program.command('run'))
    .description('run the agent in the foreground (SIGTERM/SIGINT drain the outbox, then exit)')
    .option(
      '--cycle-seconds <n>',
      'seconds between collection cycles; cycleSeconds in the config (default: 10)',
      positiveNumber('--cycle-seconds'),
    )
    .option(
      '--max-cycles <n>',
      'stop collecting after n cycles but keep delivering (testing)',
      positiveNumber('--max-cycles'),
    )
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent; logLevel in the config (default: info)')
    .action(async (opts: RunOpts) => (await import('./run-action.ts')).runAction(opts));

  withCommonOptions(program.command('status'))
    .description('print identity (never the secret), connection state, outbox depth, last ack and last cycle')
    .option('--json', 'print one JSON object')
    .action(async (opts: StatusOpts) => (await import('./status-action.ts')).statusAction(opts));

  // Hidden: the child process that checks the JS engine against onnxruntime on one model (agent/infer/verify-child.ts).
  program
    .command('__verify-model <file>', { hidden: true })
    .action(async (file: string) => (await import('../infer/verify-child.ts')).runVerifyChild(file));

  return program;
}

/** Entry point of the built bin (dist/agent/homeostat-agent.mjs) and the dev launcher (homeostat-agent.mjs). */
export async function main(argv: string[]): Promise<void> {
  await plainDefaults(buildAgentProgram()).parseAsync(argv);
}
