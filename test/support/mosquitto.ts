/**
 * A private Mosquitto 2 for tests: its own temp dir, port and dynamic-security file with one admin client (the
 * control plane connects as it). Never the shared CI broker. `mosquittoSkipReason` says why tests skip without it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import mqtt from 'mqtt';

const MOSQUITTO = process.env.HOMEOSTAT_TEST_MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';
const PLUGIN =
  process.env.HOMEOSTAT_TEST_MOSQUITTO_DYNSEC ??
  [
    '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so',
    '/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so',
    '/usr/lib/mosquitto_dynamic_security.so',
    '/usr/local/lib/mosquitto_dynamic_security.so',
  ].find((p) => existsSync(p));

/** Reason to skip when Mosquitto or its dynamic-security plugin is not installed; false when both are. */
export const mosquittoSkipReason: string | false = !existsSync(MOSQUITTO)
  ? `${MOSQUITTO} not found (apt-get install mosquitto); external-broker tests skipped`
  : !PLUGIN
    ? 'mosquitto_dynamic_security.so not found (Debian package mosquitto ships it); external-broker tests skipped'
    : false;

export type TestMosquitto = {
  url: string;
  port: number;
  admin: { username: string; password: string };
  readonly process: ChildProcess;
  log(): string;
  stop(): Promise<void>;
};

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Clients and roles written into the dynamic-security file before Mosquitto starts (bulk set-up for benchmarks). */
export type MosquittoSeed = {
  clients: { username: string; clientid?: string; password: string; roles: { rolename: string }[] }[];
  roles: { rolename: string; acls: { acltype: string; topic: string; allow: boolean }[] }[];
};

/** Mosquitto's own password hash: PBKDF2-SHA512, 101 iterations, memoised per password (seeds share secrets). */
function hasher(): (password: string) => { password: string; salt: string; iterations: number } {
  const memo = new Map<string, { password: string; salt: string; iterations: number }>();
  return (password) => {
    let h = memo.get(password);
    if (!h) {
      const salt = randomBytes(12);
      const iterations = 101;
      const hash = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
      h = { password: hash.toString('base64'), salt: salt.toString('base64'), iterations };
      memo.set(password, h);
    }
    return h;
  };
}

/**
 * A dynamic-security file with the client `admin` plus the seed. Creating 10,000 clients through the control topic
 * costs Mosquitto 2.0 a rewrite of this whole file per command (quadratic); written once here, it is linear.
 */
function dynsecFile(username: string, password: string, seed?: MosquittoSeed): string {
  const hash = hasher();
  const acl = (acltype: string, topic: string) => ({ acltype, topic, allow: true });
  return JSON.stringify({
    clients: [
      { username, ...hash(password), roles: [{ rolename: 'admin' }] },
      ...(seed?.clients ?? []).map(({ password: p, ...c }) => ({ ...c, ...hash(p) })),
    ],
    roles: [
      ...(seed?.roles ?? []),
      {
        rolename: 'admin',
        acls: [
          acl('publishClientSend', '$CONTROL/dynamic-security/#'),
          acl('publishClientReceive', '$CONTROL/dynamic-security/#'),
          acl('subscribePattern', '$CONTROL/dynamic-security/#'),
        ],
      },
    ],
    defaultACLAccess: { publishClientSend: false, publishClientReceive: true, subscribe: false, unsubscribe: true },
  });
}

/** Starts Mosquitto with the dynamic-security plugin on a free port; resolves once the admin can connect. */
export async function startMosquitto(seed?: MosquittoSeed): Promise<TestMosquitto> {
  if (mosquittoSkipReason) throw new Error(mosquittoSkipReason);
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-mosquitto-'));
  const port = await freePort();
  const admin = { username: 'admin', password: randomBytes(12).toString('base64url') };
  writeFileSync(join(dir, 'dynamic-security.json'), dynsecFile(admin.username, admin.password, seed));
  writeFileSync(
    join(dir, 'mosquitto.conf'),
    [
      // As root Mosquitto would switch to user `mosquitto`, which cannot read this private temp dir.
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      'per_listener_settings false',
      'allow_anonymous false',
      `listener ${port} 127.0.0.1`,
      `plugin ${PLUGIN}`,
      `plugin_opt_config_file ${join(dir, 'dynamic-security.json')}`,
      'persistence false',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      'max_queued_messages 100000',
      '',
    ].join('\n'),
  );
  const child = spawn(MOSQUITTO, ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr!.on('data', (d) => {
    output = (output + d.toString()).slice(-20_000);
  });
  const url = `mqtt://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited (${child.exitCode}): ${output}`);
    const ok = await mqtt
      .connectAsync(url, { ...admin, reconnectPeriod: 0, connectTimeout: 2000 })
      .then((c) => c.endAsync().then(() => true))
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`mosquitto did not accept the admin within 15 s: ${output.slice(0, 2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    admin,
    process: child,
    log: () => output,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
