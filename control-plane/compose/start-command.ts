/**
 * `homeostat start` (what `npm start` runs): the embedded control plane plus one local agent, in one process (the
 * agent in a worker thread of its own: local-agent.ts).
 * Data lives in ./.data (control plane) and ./.data/agent (the agent's state). Idempotent: a second start reuses the
 * data dir, the admin credentials and the enrolled agent. SIGINT/SIGTERM drain the agent, then the control plane.
 */
import { resolve, join } from 'node:path';
import { PortInUseError, ValidationError } from '../../contract/errors.ts';
import { describePortInUse } from '../listen.ts';
import { type Command, InvalidArgumentError } from 'commander';
import { pino } from 'pino';
import { AGENT_VERSION } from '../../agent/agent.ts';
import { loadCredentials, type Credentials } from '../../agent/enroll/credentials.ts';
import { enroll } from '../../agent/enroll/enroll.ts';
import { trustingFetch } from '../../contract/tls/trust.ts';
import { ADMIN_CREDENTIALS_FILE, readAdminCredentials } from '../admin/bootstrap.ts';
import { credentialsBanner, credentialsReminder } from '../admin/credentials-banner.ts';
import { createControlPlaneWithFleet } from '../fleet/with-fleet.ts';
import { createModelVerifier } from './model-verifier.ts';
import { createBundledModels } from './bundled-models.ts';
import { storeRefitter } from './refit.ts';
import { createWebUi } from '../api/web-ui.ts';
import { startLocalAgent, type LocalAgent } from './local-agent.ts';
import { addTlsOptions, describeConfigErrors, tlsOverrides, type TlsFlags } from '../cli/tls-flags.ts';

const port = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError(`port must be an integer 0..65535, got '${v}'`);
  return n;
};
const seconds = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0.01)
    throw new InvalidArgumentError(`--cycle-seconds must be a number >= 0.01, got '${v}'`);
  return n;
};

type StartOptions = TlsFlags & {
  dataDir: string;
  host: string;
  httpPort: number;
  mqttPort: number;
  wsPort: number;
  cycleSeconds: number;
  logLevel: string;
};

/** Adds `start` to the program. */
export function register(program: Command): void {
  const start = program
    .command('start')
    .description('start the control plane with a local agent enrolled into it (what npm start runs)')
    .option('--data-dir <dir>', 'data directory; the local agent keeps its state in <dir>/agent', './.data')
    .option('--host <addr>', 'interface to listen on', '127.0.0.1')
    .option('--http-port <n>', 'HTTP API/UI port (0 = ephemeral)', port, 8080)
    .option('--mqtt-port <n>', 'MQTT port (0 = ephemeral)', port, 1883)
    .option('--ws-port <n>', 'MQTT over WebSocket port (0 = ephemeral)', port, 8083)
    .option('--cycle-seconds <n>', "the local agent's collection cycle", seconds, 5)
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent', 'warn');
  addTlsOptions(start).action(async (opts: StartOptions) => {
    try {
      await startAll(opts);
    } catch (err) {
      if (err instanceof ValidationError) {
        process.stderr.write(describeConfigErrors('homeostat start', err));
        process.exit(2);
      }
      if (err instanceof PortInUseError) {
        process.stderr.write(`${describePortInUse(err, 'homeostat start')}\n`);
        process.exit(3);
      }
      process.stderr.write(`error: ${(err as Error).message}\n`);
      process.exit(1);
    }
  });
}

async function startAll(opts: StartOptions): Promise<void> {
  const dataDir = resolve(opts.dataDir);
  const logger = pino({ level: opts.logLevel }, pino.destination(2));
  const ui = createWebUi();
  const cp = await createControlPlaneWithFleet(
    {
      dataDir,
      host: opts.host,
      httpPort: opts.httpPort,
      mqttPort: opts.mqttPort,
      wsPort: opts.wsPort,
      logLevel: opts.logLevel as 'warn',
      logger: logger.child({ component: 'control-plane' }),
      mounts: ui.mounts,
      // HTTPS and MQTT over TLS (docs/tls.md); the files are checked by the zod config (ValidationError, exit 2)
      ...tlsOverrides(opts),
    },
    { modelVerifier: createModelVerifier(), bundledModels: createBundledModels(), refitter: storeRefitter },
  );
  const urls = await cp.start();
  ui.start(cp);
  const credentialsFile = join(dataDir, ADMIN_CREDENTIALS_FILE);
  // N8: the first-start block goes to stderr, as with `homeostat server`, once; the password is in no file (N7)
  if (urls.adminCredentials) process.stderr.write(credentialsBanner(urls.adminCredentials, credentialsFile));
  const admin = urls.adminCredentials ?? readAdminCredentials(dataDir);
  let agent: LocalAgent | null = null;
  let stopping: Promise<void> | null = null;
  const stopAll = () =>
    (stopping ??= (async () => {
      await agent?.stop().catch((err: Error) => logger.error({ err: err.message }, 'agent stop failed'));
      agent = null;
      await ui.stop();
      await cp.stop();
    })());
  const signalled = new Promise<void>((done) => {
    let count = 0;
    const onSignal = () => {
      if (++count > 1) process.exit(130);
      process.stdout.write('stopping: draining the agent, then the control plane…\n');
      stopAll().then(done, done);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  try {
    const stateDir = join(dataDir, 'agent');
    const fresh = !loadCredentials(stateDir);
    const creds = fresh
      ? await enrollLocal(urls.httpUrl, admin?.apiToken, stateDir, cp.config.tls?.caPem)
      : loadCredentials(stateDir)!;
    // P2: the agent runs in a worker thread, so nothing it does can block the control plane's event loop
    agent = await startLocalAgent(
      {
        stateDir,
        cycleSeconds: opts.cycleSeconds,
        logLevel: opts.logLevel,
        httpUrl: urls.httpUrl,
        mqttUrl: urls.mqttUrl,
        credentials: creds,
      },
      logger.child({ component: 'local-agent' }),
    );
    process.stdout.write(
      [
        'Homeostat is running',
        `  UI / API:  ${urls.httpUrl}`,
        `  admin:     ${urls.adminCredentials ? `${urls.adminCredentials.username} (credentials printed above, on stderr)` : credentialsReminder(admin?.username, credentialsFile)}`,
        `  MQTT:      ${urls.mqttUrl}   WebSocket: ${urls.wsUrl}`,
        `  agent:     ${creds.agentId} (${fresh ? 'enrolled now' : 'already enrolled'}; state in ${stateDir}, ${opts.cycleSeconds} s cycle)`,
        `  samples:   curl${cp.config.tls ? ` --cacert ${resolve(opts.tlsCa ?? opts.tlsCert ?? '')}` : ''} -H 'Authorization: Bearer <API token>' ${urls.httpUrl}/api/hosts/${creds.agentId}/samples`,
        'Ctrl-C drains the agent and stops the control plane.',
        '',
      ].join('\n'),
    );
    process.stdout.write(JSON.stringify({ event: 'started', ...pick(urls), agentId: creds.agentId, dataDir }) + '\n');
  } catch (err) {
    await stopAll();
    throw err;
  }
  await signalled;
}

/** Creates a one-time token through the admin API (the same path an operator uses) and enrolls the local agent. */
async function enrollLocal(
  httpUrl: string,
  apiToken: string | undefined,
  stateDir: string,
  ca: string | undefined,
): Promise<Credentials> {
  if (!apiToken)
    throw new Error('cannot create an enrollment token: the admin credentials file is missing from the data dir');
  // HTTPS on (docs/tls.md): the local agent pins the control plane's CA like any other.
  const res = await trustingFetch(ca)(`${httpUrl}/api/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ labels: { local: 'true' }, uses: 1, ttl: '10m' }),
  });
  const body = (await res.json().catch(() => ({}))) as { token?: string };
  if (!res.ok || !body.token)
    throw new Error(`creating an enrollment token failed: HTTP ${res.status} ${JSON.stringify(body)}`);
  return enroll({
    server: httpUrl,
    token: body.token,
    stateDir,
    agentVersion: AGENT_VERSION,
    labels: { role: 'local' },
    ...(ca ? { ca } : {}),
  });
}

const pick = (u: { httpUrl: string; mqttUrl: string; wsUrl: string }) => ({
  httpUrl: u.httpUrl,
  mqttUrl: u.mqttUrl,
  wsUrl: u.wsUrl,
});
