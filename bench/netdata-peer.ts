/**
 * netdata beside the agent in bench:agent's deployed run (bench/agent-deployed.ts), when Debian's `netdata` is
 * installed: its own process tree from a config in a temp dir (RAM database, loopback web port, no cloud, registry
 * or anonymous statistics; every default collector plugin on), collecting at the agent's cycle (`update every`), so
 * that both do one round of work per period. Its cost is the whole tree's: netdata, its spawn server and every plugin
 * (apps.plugin, nfacct.plugin, charts.d, ...), each live process's own CPU plus what it reaped from plugins that
 * exited, read from /proc/<pid>/stat (10 ms ticks: a mean over many periods, not a per-period distribution); memory
 * is the tree's summed RSS and PSS.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { memoryMb, statCpuMs } from './proc-usage.ts';

/** A running netdata tree. */
export interface NetdataPeer {
  readonly child: ChildProcess;
  /** CPU ms of the whole tree so far (own + reaped children of every live process). */
  cpuMs(): number;
  /** Summed RSS and PSS of the live tree, in MB, and how many processes it has. */
  memory(): { rssMb: number; pssMb: number | null; processes: number };
  /** Answers its API (`/api/v1/info`) once collecting. */
  ready(timeoutMs: number): Promise<void>;
}

/** The pids of `root` and its descendants (from each process's ppid in /proc/<pid>/stat). */
function tree(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    try {
      const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
      parent.set(pid, Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited between readdir and read
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [pid, pp] of parent) if (pp === out[i]) out.push(pid);
  return out;
}

/** Starts `bin` (netdata) in the foreground with a config under `dir`, collecting every `updateEverySeconds`. */
export function startNetdata(bin: string, dir: string, port: number, updateEverySeconds: number): NetdataPeer {
  for (const d of ['cache', 'lib', 'log', 'run']) mkdirSync(join(dir, d), { recursive: true });
  const conf = join(dir, 'netdata.conf');
  writeFileSync(
    conf,
    [
      '[global]',
      '  run as user = root', // the bench's temp dirs are root's; the agent runs as root too
      `  update every = ${updateEverySeconds}`,
      '  memory mode = ram',
      '  hostname = homeostat-bench',
      '[directories]',
      ...['cache', 'lib', 'log', 'run'].map((d) => `  ${d} = ${join(dir, d)}`),
      '[logs]',
      '  debug log = none',
      '  access log = none',
      `  error log = ${join(dir, 'log', 'error.log')}`,
      '[web]',
      `  bind to = 127.0.0.1:${port}`,
      '[registry]',
      '  enabled = no',
      '[cloud]',
      '  enabled = no',
      '',
    ].join('\n'),
  );
  const child = spawn(bin, ['-D', '-c', conf], { stdio: 'ignore' });
  const live = () => (child.pid ? tree(child.pid) : []);
  return {
    child,
    cpuMs() {
      let ms = 0;
      for (const pid of live()) {
        try {
          const c = statCpuMs(pid);
          ms += c.own + c.children;
        } catch {
          // a plugin exited while we read: its CPU is in its parent's reaped count from now on
        }
      }
      return ms;
    },
    memory() {
      let rssMb = 0;
      let pssMb: number | null = 0;
      let processes = 0;
      for (const pid of live()) {
        try {
          const m = memoryMb(pid);
          rssMb += m.rss;
          pssMb = m.pss === null || pssMb === null ? null : pssMb + m.pss;
          processes += 1;
        } catch {
          // exited
        }
      }
      return { rssMb, pssMb, processes };
    },
    async ready(timeoutMs) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`netdata exited (${child.exitCode}); see ${dir}/log/error.log`);
        try {
          if ((await fetch(`http://127.0.0.1:${port}/api/v1/info`)).ok) return;
        } catch {
          // not listening yet
        }
        if (Date.now() > end) throw new Error(`netdata did not answer on 127.0.0.1:${port} in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
  };
}
