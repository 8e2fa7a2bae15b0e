/**
 * `homeostat` command line: the control plane's program (server, start, demo, token, models). The agent is a
 * separate program, `homeostat-agent` (agent/cli/homeostat-agent.ts).
 *
 * Each subcommand is declared here by name and description only; its module (which declares its options and
 * imports its implementation) is loaded when the subcommand runs, so `homeostat --help` loads commander alone and
 * `homeostat token list` never loads Prisma. The module's own `register` stays the one place its options are
 * declared: the dispatcher loads it into a fresh program and parses the same argv again.
 */
import { plainDefaults } from '../../contract/cli/help-style.ts';
import { Command } from 'commander';

/** A module that adds its subcommands to the program. */
export type CommandModule = { register(program: Command): void };

/** A subcommand as listed by `homeostat --help`, and where its module is. */
export type LazyCommand = { name: string; description: string; load: () => Promise<CommandModule> };

/** Every subcommand, in the order `--help` lists them. */
export const COMMANDS: readonly LazyCommand[] = [
  {
    name: 'server',
    description: 'run the control plane (HTTP API, MQTT broker, ingest) until SIGTERM',
    load: () => import('./server-command.ts'),
  },
  {
    name: 'start',
    description: 'start the control plane with a local agent enrolled into it (what npm start runs)',
    load: () => import('../compose/start-command.ts'),
  },
  {
    name: 'demo',
    description: 'run the control plane with simulated agents and the web UI (what npm run demo runs)',
    load: () => import('../compose/demo-command.ts'),
  },
  {
    name: 'token',
    description: 'manage enrollment tokens (create, list, revoke)',
    load: () => import('./token-command.ts'),
  },
  {
    name: 'host',
    description: 'act on an enrolled host: rotate-secret',
    load: () => import('./host-command.ts'),
  },
  {
    name: 'tls',
    description: 'TLS certificates: `tls init` writes a private CA and a server certificate (docs/tls.md)',
    load: () => import('./tls-command.ts'),
  },
  {
    name: 'models',
    description: 'work with the ONNX models: backtest them on recordings, refit them from fleet data',
    load: () => import('../compose/models-command.ts'),
  },
];

const DESCRIPTION =
  'Homeostat control plane: enrolls agents, distributes signed policies and models, stores their health and ' +
  'correlates incidents. Agents run `homeostat-agent`.';

function baseProgram(): Command {
  return new Command('homeostat').description(DESCRIPTION).showHelpAfterError().version('0.1.0');
}

/** Builds the program with every subcommand declared and none loaded. */
export function buildProgram(argv: readonly string[] = process.argv): Command {
  const program = baseProgram();
  for (const c of COMMANDS) {
    program
      .command(c.name)
      .description(c.description)
      // Options, --help and arguments belong to the real command, parsed after its module is loaded.
      .helpOption(false)
      .allowUnknownOption()
      .allowExcessArguments()
      .action(async () => {
        const full = baseProgram();
        (await c.load()).register(full);
        await plainDefaults(full).parseAsync([...argv]);
      });
  }
  // `help <command>` prints the loaded command's help, not the placeholder's.
  program.helpCommand(false);
  program
    .command('help [command]')
    .description('display help for command')
    .action(async (name?: string) => {
      const c = COMMANDS.find((x) => x.name === name);
      if (!c) return program.help();
      const full = baseProgram();
      (await c.load()).register(full);
      await plainDefaults(full).parseAsync([...argv.slice(0, 2), c.name, '--help']);
    });
  // The agent's commands moved to their own program; say where instead of "unknown command".
  program
    .command('agent', { hidden: true })
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      process.stderr.write('error: the agent is a separate program now: homeostat-agent enroll|run|status\n');
      process.exitCode = 1;
    });
  return program;
}

/** Entry point of the built bin (dist/control-plane/homeostat.mjs) and the dev launcher (homeostat.mjs). */
export async function main(argv: string[]): Promise<void> {
  await buildProgram(argv).parseAsync(argv);
}
