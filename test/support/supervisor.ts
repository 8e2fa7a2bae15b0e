/**
 * A minimal process supervisor for tests, standing in for systemd's `Restart=always` where systemd cannot run (this
 * machine cannot boot a container with `systemd-nspawn -b`): it runs a command, and whenever it exits, records the
 * exit (code or signal, time) and starts it again after `restartMs`, until stopped. The command is run by path each
 * time, so a `current` link switched in between is followed, as systemd follows ExecStart=.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export type Exit = { code: number | null; signal: NodeJS.Signals | null; at: number };

export type Supervisor = {
  /** Every exit so far, oldest first. */
  exits: Exit[];
  /** The last lines of output (stdout and stderr), for failure messages and figures. */
  lines: string[];
  /** Starts so far. */
  starts: number;
  stop(): Promise<void>;
};

export function supervise(
  cmd: string,
  args: string[],
  opts: { env?: Record<string, string>; restartMs?: number; keepLines?: number } = {},
): Supervisor {
  const restartMs = opts.restartMs ?? 500;
  const keep = opts.keepLines ?? 400;
  let child: ChildProcess | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  const s: Supervisor = {
    exits: [],
    lines: [],
    starts: 0,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const done = new Promise<void>((r) => c.once('exit', () => r()));
      c.kill('SIGTERM');
      const t = setTimeout(() => c.kill('SIGKILL'), 15_000);
      await done;
      clearTimeout(t);
    },
  };
  const push = (line: string) => {
    s.lines.push(line);
    if (s.lines.length > keep) s.lines.shift();
  };
  const start = () => {
    if (stopped) return;
    s.starts += 1;
    const c = spawn(cmd, args, { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    createInterface({ input: c.stdout! }).on('line', push);
    createInterface({ input: c.stderr! }).on('line', push);
    c.once('exit', (code, signal) => {
      s.exits.push({ code, signal, at: Date.now() });
      push(`[supervisor] exit ${code ?? signal}`);
      if (!stopped) timer = setTimeout(start, restartMs);
    });
  };
  start();
  return s;
}
