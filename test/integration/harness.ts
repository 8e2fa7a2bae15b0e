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

export type Proc = { child: ChildProcess; stderr: string[]; stdout: string[]; exited: Promise<number | null>; kill(signal?: NodeJS.Signals): Promise<number | null> };

/** Spawns `homeostat <args>`; keeps the last output lines for failure messages. */
export function homeostat(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
    child, stdout, stderr, exited,
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
    if (p.child.exitCode !== null || p.child.signalCode !== null) throw new Error(`${what}: process exited (${p.child.exitCode ?? p.child.signalCode}); stderr:\n${p.stderr.slice(-20).join('\n')}`);
    if (Date.now() > end) throw new Error(`${what}: timed out after ${ms} ms; stdout:\n${p.stdout.slice(-10).join('\n')}\nstderr:\n${p.stderr.slice(-20).join('\n')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Runs a command to completion (bounded) and returns its output. */
export async function run(args: string[], ms = 60_000, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = homeostat(args, env);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), ms);
  const code = await p.exited;
  clearTimeout(timer);
  await new Promise((r) => setImmediate(r));
  return { code, stdout: p.stdout.join('\n'), stderr: p.stderr.join('\n') };
}

/** Polls `fn` until it returns a truthy value (bounded). */
export async function poll<T>(fn: () => Promise<T> | T, ms: number, what: string, everyMs = 100): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
