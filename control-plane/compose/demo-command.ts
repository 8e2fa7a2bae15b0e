/**
 * `homeostat demo [--agents 50]` (what `npm run demo` runs): the control plane, the web UI and a fleet of simulated
 * agents (demo-fleet.ts) in one process, so a newcomer sees a living fleet in the browser within a minute.
 * Data goes to a fresh temporary directory unless --data-dir is given. Prints the URL and the admin login.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Command, InvalidArgumentError } from 'commander';
import { pino, type Logger } from 'pino';
import { createControlPlaneWithFleet, type ControlPlaneWithFleet } from '../fleet/with-fleet.ts';
import { createModelVerifier } from './model-verifier.ts';
import { createBundledModels } from './bundled-models.ts';
import { storeRefitter } from './refit.ts';
import type { FleetModuleOptions } from '../fleet/fleet-module.ts';
import { readAdminCredentials } from '../admin/bootstrap.ts';
import { DEFAULT_WEB_DIST } from '../api/web-static.ts';
import { createWebUi } from '../api/web-ui.ts';
import { startDemoFleet, type DemoFleet } from './demo-fleet.ts';

const int = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new InvalidArgumentError(`${name} must be an integer ${min}..${max}, got '${v}'`);
  return n;
};

/** Options of {@link startDemo}. */
export type DemoOptions = {
  agents: number;
  dataDir?: string;
  host?: string;
  httpPort?: number;
  mqttPort?: number;
  wsPort?: number;
  cycleSeconds?: number;
  schedule?: boolean;
  logLevel?: string /** Fleet module options (tests: a faster tick, a correlator tuned for a small fleet). */;
  fleet?: FleetModuleOptions;
};

/** A running demo: control plane, UI feed and fleet. */
export type Demo = {
  cp: ControlPlaneWithFleet;
  fleet: DemoFleet;
  httpUrl: string;
  admin: { username: string; password?: string; apiToken: string };
  dataDir: string;
  stop(): Promise<void>;
};

/** Starts the control plane with the UI and live stream mounted, then the simulated fleet. */
export async function startDemo(o: DemoOptions, logger: Logger): Promise<Demo> {
  const dataDir = o.dataDir ? resolve(o.dataDir) : mkdtempSync(join(tmpdir(), 'homeostat-demo-'));
  if (!existsSync(join(DEFAULT_WEB_DIST, 'index.html'))) await buildWeb(logger);
  const ui = createWebUi();
  const cp = await createControlPlaneWithFleet(
    {
      dataDir,
      host: o.host ?? '127.0.0.1',
      httpPort: o.httpPort ?? 8080,
      mqttPort: o.mqttPort ?? 1883,
      wsPort: o.wsPort ?? 8083,
      logLevel: (o.logLevel ?? 'warn') as 'warn',
      logger: logger.child({ component: 'control-plane' }),
      mounts: ui.mounts,
    },
    { modelVerifier: createModelVerifier(), bundledModels: createBundledModels(), refitter: storeRefitter, ...o.fleet },
  );
  const urls = await cp.start();
  const admin = urls.adminCredentials ?? readAdminCredentials(dataDir);
  if (!admin) throw new Error(`no admin credentials in ${dataDir}: use an empty --data-dir`);
  ui.start(cp);
  const fleet = await startDemoFleet({
    httpUrl: urls.httpUrl,
    mqttUrl: urls.mqttUrl,
    apiToken: admin.apiToken,
    agents: o.agents,
    stateDir: join(dataDir, 'demo-agents'),
    cycleSeconds: o.cycleSeconds ?? 2,
    schedule: o.schedule ?? true,
    logger: logger.child({ component: 'demo-fleet' }),
  });
  const c = cp;
  return {
    cp: c,
    fleet,
    httpUrl: urls.httpUrl,
    admin,
    dataDir,
    async stop() {
      await fleet.stop();
      await ui.stop();
      await c.stop();
    },
  };
}

async function buildWeb(logger: Logger): Promise<void> {
  logger.warn('web UI not built yet; building it now (npm run build:web)');
  const { build } = await import('vite');
  await build({ configFile: fileURLToPath(new URL('../../web/vite.config.ts', import.meta.url)), logLevel: 'warn' });
}

/** Adds `demo` to the program. */
export function register(program: Command): void {
  program
    .command('demo')
    .description('run the control plane with a fleet of simulated agents and the web UI (what npm run demo runs)')
    .option('--agents <n>', 'number of simulated agents', int('--agents', 1, 5000), 50)
    .option('--data-dir <dir>', 'data directory (default: a new temporary directory)')
    .option('--host <addr>', 'interface to listen on', '127.0.0.1')
    .option('--http-port <n>', 'HTTP API/UI port (0 = ephemeral)', int('--http-port', 0, 65535), 8080)
    .option('--mqtt-port <n>', 'MQTT port (0 = ephemeral)', int('--mqtt-port', 0, 65535), 1883)
    .option('--ws-port <n>', 'MQTT over WebSocket port (0 = ephemeral)', int('--ws-port', 0, 65535), 8083)
    .option('--cycle-seconds <n>', 'seconds between readings per agent', (v) => Number(v), 2)
    .option('--no-schedule', 'do not inject faults on a schedule')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent', 'warn')
    .action(async (opts: DemoOptions & { agents: number }) => {
      const logger = pino({ level: opts.logLevel ?? 'warn' }, pino.destination(2));
      let demo: Demo;
      try {
        demo = await startDemo(opts, logger);
      } catch (err) {
        process.stderr.write(`error: ${(err as Error).message}\n`);
        process.exit(1);
      }
      process.stdout.write(
        [
          `Homeostat demo: ${demo.fleet.hosts.length} simulated agents are reporting.`,
          `  Open:      ${demo.httpUrl}`,
          `  Sign in:   ${demo.admin.username} / ${demo.admin.password ?? '(the password shown at the first start of this data dir)'}`,
          `             or with the API token ${demo.admin.apiToken}`,
          `  Data:      ${demo.dataDir}`,
          '  Faults:    nginx stops on a web host every 45 s, a disk fills every 90 s, one rack heats up every 4 min.',
          '             Publish a policy with restart-service / free-disk (Policies page) and watch the agents heal.',
          'Ctrl-C stops the fleet and the control plane.',
          '',
        ].join('\n'),
      );
      await new Promise<void>((done) => {
        const onSignal = () => void demo.stop().then(done, done);
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
      });
    });
}
