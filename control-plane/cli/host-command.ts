/** `homeostat host rotate-secret <id>`: asks an agent to rotate its secret over the admin API (docs/tls.md). */
import type { Command } from 'commander';
import { call, withCommon, type Common } from './token-command.ts';

export function register(program: Command): void {
  const host = program.command('host').description('act on an enrolled host');
  withCommon(
    host
      .command('rotate-secret')
      .description(
        'send the agent a new secret (signed command; queued while it is offline, sent when it connects); it reconnects with it and the old one stops working',
      )
      .argument('<id>', 'agent id (agent-…)'),
  ).action(async (id: string, o: Common) => {
    try {
      const r = await call(o, 'POST', `/api/hosts/${encodeURIComponent(id)}/rotate-secret`);
      process.stdout.write(
        o.json
          ? `${JSON.stringify(r)}\n`
          : r.queued
            ? `rotation queued for ${r.agentId} at ${r.requestedAt}: it is offline; the command goes out when it connects\n`
            : `rotation sent to ${r.agentId} at ${r.requestedAt}\n`,
      );
    } catch (err) {
      process.stderr.write(`homeostat host: ${(err as Error).message}\n`);
      process.exit(1);
    }
  });
}
