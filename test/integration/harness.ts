/**
 * End-to-end harness: the real control plane and real agents as child processes of `homeostat`, temp dirs, ports
 * picked up front so a restarted server comes back on the same ones. Every wait is bounded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = fileURLToPath(new URL('../../control-plane/cli/homeostat.mjs', import.meta.url));
/** The agent's program (`homeostat-agent`), run from source through tsx like {@link CLI}. */
export const AGENT_CLI = fileURLToPath(new URL('../../agent/cli/homeostat-agent.mjs', import.meta.url));

/** A free TCP port on 127.0.0.1 (bind 0, read, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export type Proc = {
  child: ChildProcess;
  stderr: string[];
  stdout: string[];
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
};

/** Spawns `homeostat <args>`; keeps the last output lines for failure messages. */
export function homeostat(args: string[], env: Record<string, string> = {}): Proc {
  return spawnNode([CLI, ...args], env);
}

/** Spawns `homeostat-agent <args>`. */
export function homeostatAgent(args: string[], env: Record<string, string> = {}): Proc {
  return spawnNode([AGENT_CLI, ...args], env);
}

/** Spawns `node <argv>` in the repository root. */
export function spawnNode(argv: string[], env: Record<string, string> = {}): Proc {
  return spawnCommand(process.execPath, argv, env);
}

/** Spawns `<command> <argv>` in the repository root (e.g. `ip netns exec … node …`). */
export function spawnCommand(command: string, argv: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(command, argv, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const keep = (buf: string[]) => (line: string) => {
    buf.push(line);
    if (buf.length > 200) buf.shift();
  };
  createInterface({ input: child.stdout! }).on('line', keep(stdout));
  createInterface({ input: child.stderr! }).on('line', keep(stderr));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    stdout,
    stderr,
    exited,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Waits for a stdout line matching `pred` (bounded). */
export async function waitForLine(p: Proc, pred: (line: string) => boolean, ms: number, what: string): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const hit = p.stdout.find(pred);
    if (hit) return hit;
    if (p.child.exitCode !== null || p.child.signalCode !== null)
      throw new Error(
        `${what}: process exited (${p.child.exitCode ?? p.child.signalCode}); stderr:\n${p.stderr.slice(-20).join('\n')}`,
      );
    if (Date.now() > end)
      throw new Error(
        `${what}: timed out after ${ms} ms; stdout:\n${p.stdout.slice(-10).join('\n')}\nstderr:\n${p.stderr.slice(-20).join('\n')}`,
      );
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Runs a command to completion (bounded) and returns its output. */
export async function run(
  args: string[],
  ms = 60_000,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return finish(homeostat(args, env), ms);
}

/** Runs `homeostat-agent <args>` to completion (bounded) and returns its output. */
export async function runAgent(
  args: string[],
  ms = 60_000,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return finish(homeostatAgent(args, env), ms);
}

async function finish(p: Proc, ms: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const timer = setTimeout(() => p.child.kill('SIGKILL'), ms);
  const code = await p.exited;
  clearTimeout(timer);
  await new Promise((r) => setImmediate(r));
  return { code, stdout: p.stdout.join('\n'), stderr: p.stderr.join('\n') };
}

/** Polls `fn` until it returns a truthy value (bounded). */
export async function poll<T>(
  fn: () => Promise<T> | T,
  ms: number,
  what: string,
  everyMs = 100,
): Promise<NonNullable<T>> {
  // A negative or tiny budget is a caller's bug: never print "timed out after -15043 ms".
  if (!(ms > 0)) throw new Error(`poll for ${what}: the timeout must be positive, got ${ms} ms`);
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end)
      throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export type Ports = { http: number; mqtt: number; ws: number };
export type ServerInfo = { httpUrl: string; mqttUrl: string; wsUrl: string };

/** Free ports for a control plane that must come back on the same ones after a restart. */
export async function pickPorts(): Promise<Ports> {
  return { http: await freePort(), mqtt: await freePort(), ws: await freePort() };
}

/**
 * `homeostat server` as a child process; resolves once it printed its `{"event":"listening"}` line. Without `ports`,
 * free ports are picked, and picked again when one of them was taken between the pick and the bind (exit code 3: a
 * concurrent test's outgoing connection or listener can take a port {@link freePort} let go of). A restart passes the
 * `ports` of the first start, so the server comes back where its agents look for it.
 */
export async function startServer(
  dataDir: string,
  ports?: Ports,
  extraArgs: string[] = [],
): Promise<{ proc: Proc; info: ServerInfo; ports: Ports }> {
  for (let attempt = 1; ; attempt++) {
    const chosen = ports ?? (await pickPorts());
    const proc = homeostat([
      'server',
      '--data-dir',
      dataDir,
      '--http-port',
      String(chosen.http),
      '--mqtt-port',
      String(chosen.mqtt),
      '--ws-port',
      String(chosen.ws),
      '--log-level',
      'warn',
      ...extraArgs,
    ]);
    try {
      const line = await waitForLine(proc, (l) => l.includes('"listening"'), 60_000, 'control plane listening');
      return { proc, info: JSON.parse(line) as ServerInfo, ports: chosen };
    } catch (err) {
      // exit code 3 is the server's "a port is in use" (describePortInUse); anything else is the test's failure
      const portTaken = proc.child.exitCode === 3;
      if (!portTaken) await proc.kill('SIGKILL');
      if (ports || !portTaken || attempt >= 5) throw err;
    }
  }
}

/** The admin API token the control plane wrote on its first start. */
export async function adminToken(dataDir: string): Promise<string> {
  const { readFileSync } = await import('node:fs');
  return (JSON.parse(readFileSync(`${dataDir}/admin-credentials.json`, 'utf8')) as { apiToken: string }).apiToken;
}

/** Authenticated JSON request against the admin API. */
export async function api(
  httpUrl: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${httpUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

/** Creates a one-time enrollment token through the admin API. */
export async function createEnrollmentToken(
  httpUrl: string,
  token: string,
  labels: Record<string, string> = {},
): Promise<string> {
  const r = await api(httpUrl, token, 'POST', '/api/tokens', { labels, uses: 1 });
  if (r.status !== 201) throw new Error(`POST /api/tokens: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.token as string;
}

/** Every seq the control plane stored for an agent (samples and events), in the order the API lists them. */
export async function storedSeqs(
  httpUrl: string,
  token: string,
  agentId: string,
): Promise<{ samples: number[]; events: number[] }> {
  const s = await api(httpUrl, token, 'GET', `/api/hosts/${agentId}/samples?limit=10000`);
  const e = await api(httpUrl, token, 'GET', `/api/hosts/${agentId}/events?limit=10000`);
  if (s.status !== 200 || e.status !== 200) throw new Error(`samples ${s.status}, events ${e.status}`);
  return {
    samples: s.body.samples.map((x: { seq: number }) => x.seq),
    events: e.body.events.map((x: { seq: number }) => x.seq),
  };
}

/** The agent's status file (null until it wrote one). */
export async function agentStatus(stateDir: string): Promise<any> {
  const { readFileSync } = await import('node:fs');
  try {
    return JSON.parse(readFileSync(`${stateDir}/status.json`, 'utf8'));
  } catch {
    return null;
  }
}
