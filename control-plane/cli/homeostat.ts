/**
 * `homeostat` command line: one program, subcommands registered by the part that owns them
 * (control plane: server, token, start, demo; agent: agent …; models: models …).
 */
import { Command } from 'commander';

/** A module that adds its subcommands to the program. */
export type CommandModule = { register(program: Command): void };

const modules: (() => Promise<CommandModule>)[] = [
  () => import('./server-command.ts'),
  () => import('./token-command.ts'),
  () => import('../compose/start-command.ts'),
  () => import('../compose/demo-command.ts'),
  () => import('../../agent/cli/agent-command.ts'),
  () => import('../compose/models-command.ts'),
];

/** Builds the program with every subcommand module. */
export async function buildProgram(): Promise<Command> {
  const program = new Command('homeostat')
    .description('Fleet self-healing: agents collect hardware health, run ONNX models and heal their hosts; the control plane enrolls them and distributes signed policies and models.')
    .showHelpAfterError()
    .version('0.1.0');
  for (const load of modules) (await load()).register(program);
  return program;
}

/** Entry point used by bin/homeostat.mjs and `npm start`. */
export async function main(argv: string[]): Promise<void> {
  const program = await buildProgram();
  await program.parseAsync(argv);
}
