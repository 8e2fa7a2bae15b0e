import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

const BIN = join(import.meta.dirname, '..', '..', 'control-plane', 'cli', 'homeostat.mjs');
const run = promisify(execFile);

/** Waits for the server's exit and asserts a clean drain; a signal death names the signal and the server's stderr. */
async function exitsCleanly(s: { child: ChildProcess; stderr(): string }): Promise<void> {
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) =>
    s.child.once('exit', (c, sig) => r([c, sig])),
  );
  assert.deepEqual({ code, signal }, { code: 0, signal: null }, `server exit; stderr:\n${s.stderr().slice(-2000)}`);
}

function startServer(dataDir: string, env: Record<string, string> = {}) {
  const child = spawn(
    process.execPath,
    [
      BIN,
      'server',
      '--data-dir',
      dataDir,
      '--http-port',
      '0',
      '--mqtt-port',
      '0',
      '--ws-port',
      '0',
      '--log-level',
      'warn',
    ],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const ready = new Promise<{ httpUrl: string; mqttUrl: string; wsUrl: string }>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => resolve(JSON.parse(line)));
    child.once('close', (code) => reject(new Error(`server exited ${code}: ${stderr}`)));
  });
  return { child, ready, stderr: () => stderr };
}

test('homeostat server prints one listening line; token create/list/revoke; survives SIGKILL on the same data dir', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'homeostat-cli-'));
  try {
    let s = startServer(dataDir);
    let urls = await s.ready;
    assert.match(urls.httpUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(urls.mqttUrl, /^mqtt:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(statSync(join(dataDir, 'admin-credentials.json')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dataDir, 'signing-key.pem')).mode & 0o777, 0o600);
    const common = ['--server', urls.httpUrl, '--data-dir', dataDir];
    const created = await run(process.execPath, [
      BIN,
      'token',
      'create',
      '--labels',
      'rack=r7,env=prod',
      '--uses',
      '3',
      '--ttl',
      '2h',
      '--json',
      ...common,
    ]);
    const tok = JSON.parse(created.stdout);
    assert.deepEqual([tok.labels, tok.maxUses, tok.state], [{ rack: 'r7', env: 'prod' }, 3, 'active']);
    s.child.kill('SIGKILL');
    await new Promise((r) => s.child.once('exit', r));
    s = startServer(dataDir);
    urls = await s.ready;
    const common2 = ['--server', urls.httpUrl, '--data-dir', dataDir];
    await run(process.execPath, [BIN, 'token', 'revoke', tok.id, ...common2]);
    const list = await run(process.execPath, [BIN, 'token', 'list', ...common2]);
    assert.match(list.stdout, new RegExp(`^${tok.id}\\trevoked\\t3/3\\t`));
    s.child.kill('SIGTERM');
    await exitsCleanly(s);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a bad configuration stops the server with every error named', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'homeostat-cli-'));
  try {
    const s = startServer(dataDir, { HOMEOSTAT_INGEST_BATCH_SIZE: 'abc', HOMEOSTAT_RETENTION: 'soon' });
    await assert.rejects(s.ready, /server exited 2/);
    assert.match(s.stderr(), /2 configuration error\(s\)/);
    assert.match(
      s.stderr(),
      /ingest.batchSize: ingest.batchSize must be an integer 1..10000; got "abc" \(from HOMEOSTAT_INGEST_BATCH_SIZE\)/,
    );
    assert.match(s.stderr(), /retention: retention must be a duration/);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

const AGENT_BIN = join(import.meta.dirname, '..', '..', 'agent', 'cli', 'homeostat-agent.mjs');

test("homeostat --help lists the control plane's commands; the agent is its own program", async () => {
  const help = await run(process.execPath, [BIN, '--help']);
  for (const c of ['server', 'start', 'demo', 'token', 'models'])
    assert.match(help.stdout, new RegExp(`^  ${c} `, 'm'));
  assert.doesNotMatch(help.stdout, /^ {2}agent /m);
  // a subcommand's own help comes from its module, loaded on demand
  assert.match((await run(process.execPath, [BIN, 'token', 'create', '--help'])).stdout, /--labels <k=v,...>/);
  assert.match((await run(process.execPath, [BIN, 'help', 'server'])).stdout, /--data-dir <dir>/);
  const moved = await run(process.execPath, [BIN, 'agent', 'run']).catch(
    (err: { code: number; stderr: string }) => err,
  );
  assert.equal((moved as { code: number }).code, 1);
  assert.match((moved as { stderr: string }).stderr, /homeostat-agent enroll\|run\|status/);
  const agentHelp = await run(process.execPath, [AGENT_BIN, '--help']);
  for (const c of ['enroll', 'run', 'status']) assert.match(agentHelp.stdout, new RegExp(`^  ${c} `, 'm'));
  assert.match((await run(process.execPath, [AGENT_BIN, 'run', '--help'])).stdout, /--cycle-seconds <n>/);
});

test('N5: both cycle defaults are stated in --help (agent run 10 s, start 5 s), and the TLS flags of server and start', async () => {
  const flat = (s: string) => s.replace(/\s+/g, ' ');
  assert.match(
    flat((await run(process.execPath, [AGENT_BIN, 'run', '--help'])).stdout),
    /--cycle-seconds <n> [^-]*\(default:? 10\)/,
  );
  const start = flat((await run(process.execPath, [BIN, 'start', '--help'])).stdout);
  assert.match(start, /--cycle-seconds <n> [^-]*\(default:? 5\)/);
  const server = flat((await run(process.execPath, [BIN, 'server', '--help'])).stdout);
  for (const help of [start, server])
    for (const flag of ['--tls-cert <file>', '--tls-key <file>', '--tls-ca <file>'])
      assert.ok(help.includes(flag), flag);
});

test("N4: npm reads the project's .npmrc without an unknown-config warning", async () => {
  const root = join(import.meta.dirname, '..', '..');
  const npm = await run('npm', ['config', 'get', 'fund'], { cwd: root });
  assert.doesNotMatch(npm.stderr, /Unknown (project|user|env|builtin) config/);
});

/** Every file under `dir` (the SQLite database included), as raw bytes. */
function filesUnder(dir: string): { path: string; bytes: Buffer }[] {
  const out: { path: string; bytes: Buffer }[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push({ path: p, bytes: readFileSync(p) });
  }
  return out;
}

test('N7/N8: the admin password is printed once on stderr at the first start and stored in no file, only hashed', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'homeostat-cli-'));
  try {
    let s = startServer(dataDir);
    let urls = await s.ready;
    const banner = /password: +(\S+)/.exec(s.stderr());
    assert.ok(banner, `the first start prints the password on stderr: ${s.stderr()}`);
    const password = banner[1]!;
    assert.match(s.stderr(), /shown only now/);
    const stored = JSON.parse(readFileSync(join(dataDir, 'admin-credentials.json'), 'utf8'));
    assert.deepEqual(Object.keys(stored).sort(), ['apiToken', 'createdAt', 'username']);
    for (const f of filesUnder(dataDir))
      assert.equal(f.bytes.includes(password), false, `${f.path} holds the plaintext password`);
    // the API token's secret is only in the 0600 credentials file, never in the database (hashed there)
    const tokenSecret = (stored.apiToken as string).split('.').at(-1)!;
    assert.ok(tokenSecret.length >= 32);
    for (const f of filesUnder(dataDir))
      if (!f.path.endsWith('admin-credentials.json'))
        assert.equal(f.bytes.includes(tokenSecret), false, `${f.path} holds the plaintext API token`);
    // the printed password is the one the hash was made of
    const login = await fetch(`${urls.httpUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    assert.equal(login.status, 200);
    s.child.kill('SIGTERM');
    await exitsCleanly(s);

    // a file an older version wrote (with the password, readable by others) is rewritten without it, 0600
    writeFileSync(join(dataDir, 'admin-credentials.json'), JSON.stringify({ ...stored, password }));
    chmodSync(join(dataDir, 'admin-credentials.json'), 0o644);
    s = startServer(dataDir);
    urls = await s.ready;
    assert.doesNotMatch(s.stderr(), /password/, 'a later start prints no credentials block');
    assert.doesNotMatch(readFileSync(join(dataDir, 'admin-credentials.json'), 'utf8'), /password/);
    assert.equal(statSync(join(dataDir, 'admin-credentials.json')).mode & 0o777, 0o600);
    s.child.kill('SIGTERM');
    await exitsCleanly(s);

    // a copy left readable by others (no password in it) is tightened to 0600 at the next start
    chmodSync(join(dataDir, 'admin-credentials.json'), 0o644);
    s = startServer(dataDir);
    await s.ready;
    assert.equal(statSync(join(dataDir, 'admin-credentials.json')).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(readFileSync(join(dataDir, 'admin-credentials.json'), 'utf8')), stored);
    s.child.kill('SIGTERM');
    await exitsCleanly(s);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('N2: token create finds the data dir in ~/.homeostat, then ./.data; the error names both and --data-dir', async () => {
  const home = mkdtempSync(join(tmpdir(), 'homeostat-home-'));
  const cwd = mkdtempSync(join(tmpdir(), 'homeostat-cwd-'));
  const dataDir = join(cwd, '.data');
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
    delete env.HOMEOSTAT_DATA_DIR;
    delete env.HOMEOSTAT_API_TOKEN;
    // neither ~/.homeostat nor ./.data: the error names both files and --data-dir
    const missing = await run(process.execPath, [BIN, 'token', 'create', '--server', 'http://127.0.0.1:9'], {
      cwd,
      env,
    }).catch((err: { code: number; stderr: string }) => err);
    assert.equal((missing as { code: number }).code, 1);
    const msg = (missing as { stderr: string }).stderr;
    assert.ok(msg.includes(join(home, '.homeostat', 'admin-credentials.json')), msg);
    assert.ok(msg.includes(join(cwd, '.data', 'admin-credentials.json')), msg);
    assert.match(msg, /--data-dir/);

    // `npm start` keeps its data in ./.data: token create run from there finds it without --data-dir
    const s = startServer(dataDir);
    const urls = await s.ready;
    try {
      const created = await run(process.execPath, [BIN, 'token', 'create', '--server', urls.httpUrl, '--json'], {
        cwd,
        env,
      });
      assert.equal(JSON.parse(created.stdout).state, 'active');
    } finally {
      s.child.kill('SIGTERM');
      await new Promise((r) => s.child.once('exit', r));
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
    rmSync(cwd, { recursive: true, force: true });
  }
});
