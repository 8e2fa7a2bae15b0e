/**
 * `homeostat server`: runs the control plane until SIGTERM/SIGINT (graceful drain). When ready it prints exactly one
 * JSON line on stdout: {"event":"listening","httpUrl","mqttUrl","wsUrl","dataDir","adminCredentialsFile"}.
 * Logs (pino JSON) go to stderr, as do the first-start admin credentials (printed once; the password is in no file).
 */
import type { Command } from 'commander';
import { join } from 'node:path';
import { loadServerConfig, type ServerConfigInput } from '../config/server-config.ts';
import { createControlPlaneWithFleet, fleetOptionsFrom } from '../fleet/with-fleet.ts';
import { PortInUseError, ValidationError } from '../../contract/errors.ts';
import { describePortInUse } from '../listen.ts';
import { ADMIN_CREDENTIALS_FILE } from '../admin/bootstrap.ts';
import { credentialsBanner } from '../admin/credentials-banner.ts';
import { createWebUi } from '../api/web-ui.ts';
import { addTlsOptions, describeConfigErrors, tlsOverrides, type TlsFlags } from './tls-flags.ts';

type Flags = TlsFlags & {
  config?: string;
  dataDir?: string;
  host?: string;
  httpPort?: string;
  mqttPort?: string;
  wsPort?: string;
  databaseUrl?: string;
  logLevel?: string;
};

export function register(program: Command): void {
  const server = program
    .command('server')
    .description('run the control plane (HTTP API, MQTT broker over TCP/TLS and WebSocket, ingest) until SIGTERM')
    .option('-c, --config <file>', 'YAML config file (see docs/configuration.md)')
    .option(
      '-d, --data-dir <dir>',
      'data directory (SQLite DB, signing key, admin credentials) (default: ~/.homeostat)',
    )
    .option('--host <addr>', 'interface to listen on (default: 127.0.0.1)')
    .option('--http-port <port>', 'HTTP API/UI port (0 = ephemeral) (default: 8080)')
    .option('--mqtt-port <port>', 'MQTT TCP/TLS port (0 = ephemeral) (default: 1883)')
    .option('--ws-port <port>', 'MQTT over WebSocket port (0 = ephemeral) (default: 8083)')
    .option(
      '--database-url <url>',
      'postgres://… for PostgreSQL, file:… for a SQLite file (default: <data-dir>/homeostat.db)',
    );
  addTlsOptions(server)
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (default: info)')
    .action(async (flags: Flags) => {
      const overrides: ServerConfigInput = {
        ...(flags.dataDir ? { dataDir: flags.dataDir } : {}),
        ...(flags.host ? { host: flags.host } : {}),
        ...(flags.httpPort !== undefined ? { httpPort: flags.httpPort } : {}),
        ...(flags.mqttPort !== undefined ? { mqttPort: flags.mqttPort } : {}),
        ...(flags.wsPort !== undefined ? { wsPort: flags.wsPort } : {}),
        ...(flags.databaseUrl ? { databaseUrl: flags.databaseUrl } : {}),
        ...tlsOverrides(flags),
        ...(flags.logLevel ? { logLevel: flags.logLevel as ServerConfigInput['logLevel'] } : {}),
      };
      let config: ReturnType<typeof loadServerConfig>;
      try {
        config = loadServerConfig({ ...(flags.config ? { file: flags.config } : {}), env: process.env, overrides });
      } catch (err) {
        if (err instanceof ValidationError) {
          process.stderr.write(describeConfigErrors('homeostat server', err));
          process.exit(2);
        }
        throw err;
      }
      // Signals are taken from here on: one that arrives while the control plane starts drains it once started,
      // instead of killing the process half-way (Node's default for SIGTERM).
      let shutdown: ((signal: string) => void) | null = null;
      let requested: string | null = null;
      const onSignal = (signal: string) => {
        if (shutdown) shutdown(signal);
        else requested ??= signal;
      };
      process.on('SIGTERM', () => onSignal('SIGTERM'));
      process.on('SIGINT', () => onSignal('SIGINT'));
      const ui = createWebUi();
      // the model verifier runs the agents' JS engine: it lives with the composition roots (control-plane/compose)
      const { createModelVerifier } = await import('../compose/model-verifier.ts');
      const { storeRefitter } = await import('../compose/refit.ts');
      const { createBundledModels } = await import('../compose/bundled-models.ts');
      const cp = await createControlPlaneWithFleet(
        { ...config, mounts: ui.mounts },
        {
          ...fleetOptionsFrom(config),
          modelVerifier: createModelVerifier(),
          bundledModels: createBundledModels(),
          refitter: storeRefitter,
        },
      );
      let started: Awaited<ReturnType<typeof cp.start>>;
      try {
        started = await cp.start();
      } catch (err) {
        // A busy port is an operator's fix, not a crash: one line naming the port and the setting, exit code 3.
        if (err instanceof PortInUseError) {
          process.stderr.write(`${describePortInUse(err)}\n`);
          process.exit(3);
        }
        throw err;
      }
      ui.start(cp);
      const { adminCredentials, ...urls } = started;
      const credentialsFile = join(config.dataDir, ADMIN_CREDENTIALS_FILE);
      if (adminCredentials) {
        process.stderr.write(credentialsBanner(adminCredentials, credentialsFile));
      }
      process.stdout.write(
        `${JSON.stringify({ event: 'listening', ...urls, dataDir: config.dataDir, adminCredentialsFile: credentialsFile })}\n`,
      );
      let stopping = false;
      shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`homeostat server: ${signal}, draining…\n`);
        const force = setTimeout(() => process.exit(1), 30_000);
        force.unref();
        ui.stop()
          .then(() => cp.stop())
          .then(
            () => process.exit(0),
            (err) => {
              process.stderr.write(`stop failed: ${(err as Error).stack}\n`);
              process.exit(1);
            },
          );
      };
      if (requested) shutdown(requested);
    });
}
