/** `homeostat host rotate-secret <id>`: asks an agent to rotate its secret over the admin API (docs/tls.md). */
import type { Command } from 'commander';
import { call, withCommon, type Common } from './token-command.ts';

export function register(program: Command): void {
  const host = program.command('host').description('Act on an enrolled host.');
  withCommon(
    host
      .command('rotate-secret')
      .description('Send the agent a new secret (signed command); it reconnects with it and the old one stops working.')
      .argument('<id>', 'agent id (agent-…)'),
  ).action(async (id: string, o: Common) => {
    try {
      const r = await call(o, 'POST', `/api/hosts/${encodeURIComponent(id)}/rotate-secret`);
      process.stdout.write(
        o.json
          ? `${JSON.stringify(r)}\n`
          : `rotation sent to ${r.agentId} at ${r.requestedAt}${r.online ? '' : ' (offline: it applies when the agent gets the command; ask again if it never does)'}\n`,
      );
    } catch (err) {
      process.stderr.write(`homeostat host: ${(err as Error).message}\n`);
      process.exit(1);
    }
  });
}
