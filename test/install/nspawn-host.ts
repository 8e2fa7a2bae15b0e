/**
 * A Debian host with systemd as PID 1 for the installer tests: a copy of the cached systemd rootfs (rootfs.ts) booted
 * with `systemd-nspawn --boot`, joined to a network namespace and veth pair of its own (netns-host.ts `createNetns`),
 * so it reaches the control plane only at the host end of the pair (`10.231.N.1`).
 *
 * nspawn boots here only with `--register=no --keep-unit`: by default it registers the container with machined and
 * allocates a scope unit over the host's system bus, and a machine whose PID 1 is not systemd has none ("Failed to open
 * system bus: No such file or directory"). Without registration `machinectl` and `systemd-run -M` cannot reach the
 * container, so commands run in it through `nsenter -t <its PID 1> -a` (every namespace of the container: its mounts,
 * PIDs, network, host name and cgroups), with a clean environment.
 *
 * {@link bootNspawnHost} resolves with the host once `systemctl is-system-running --wait` answers, or with the exact
 * error nspawn printed when it exits (or does not boot by the deadline): the test's skip reason.
 */
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetns, type Netns } from './netns-host.ts';

export type NspawnHost = {
  /** The container's root directory, seen from this machine. */
  root: string;
  /** The control plane's side of the veth pair (bind the control plane here). */
  hostIp: string;
  /** The container's host name (its own UTS namespace). */
  hostname: string;
  /** The container's systemd, as a PID of this machine. */
  pid1: number;
  /** `systemctl is-system-running` once the boot finished (`running`, or `degraded` with failed units). */
  state: string;
  bootMs: number;
  /** The container's console (what its systemd printed), the last 400 lines. */
  console: string[];
  /** Runs a shell command in the container (bounded; asynchronous); never throws on a non-zero exit. */
  sh(command: string, ms?: number): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** Powers the container off (SIGTERM to nspawn: an orderly shutdown), SIGKILL after 20 s; removes the namespace
   * and the copy. Never throws. */
  destroy(): Promise<void>;
};

const ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C' };

/** Why no container can be booted here (before trying), or null. */
export function nspawnUnavailable(): string | null {
  if (process.platform !== 'linux') return 'needs Linux (systemd-nspawn, network namespaces)';
  if (process.getuid?.() !== 0) return 'needs root (systemd-nspawn, ip netns, nsenter)';
  for (const [tool, pkg] of [
    ['systemd-nspawn', 'systemd-container'],
    ['nsenter', 'util-linux'],
    ['ip', 'iproute2'],
    ['debootstrap', 'debootstrap'],
  ])
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
      return `${tool} is not installed (apt-get install ${pkg})`;
  return null;
}

// the container's systemd colours its console (ESC [ … m)
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`, 'g');
const stripAnsi = (s: string) => s.replace(ANSI, '');

/** PIDs of this machine whose parent is `pid`, with their command names. */
function children(pid: number): { pid: number; comm: string }[] {
  const out: { pid: number; comm: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so split at the last ')'
      const close = stat.lastIndexOf(')');
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      if (ppid === pid) out.push({ pid: Number(name), comm: stat.slice(stat.indexOf('(') + 1, close) });
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** The first `systemd` among the descendants of `pid` (nspawn may run an inner helper between itself and init). */
function findInit(pid: number): number | null {
  const queue = [pid];
  for (let depth = 0; queue.length && depth < 500; depth++) {
    for (const c of children(queue.shift()!)) {
      if (c.comm === 'systemd') return c.pid;
      queue.push(c.pid);
    }
  }
  return null;
}

/**
 * Boots a copy of `pristine` (a rootfs with systemd) with `systemd-nspawn --boot --register=no --keep-unit` in its
 * own network namespace. Resolves with the host once systemd finished booting, or with `{ error }`: nspawn's own
 * error output when it exits, or what it printed last when it does not boot within `deadlineMs` (default 90 s).
 */
export async function bootNspawnHost(
  pristine: string,
  opts: { hostname?: string; deadlineMs?: number } = {},
): Promise<NspawnHost | { error: string }> {
  const hostname = opts.hostname ?? 'nspawn-host';
  const deadlineMs = opts.deadlineMs ?? 90_000;
  const base = mkdtempSync(join(tmpdir(), 'homeostat-nspawn-'));
  const root = join(base, 'root');
  let net: Netns | undefined;
  let nspawn: ReturnType<typeof spawn> | undefined;
  let pid1: number | null = null;
  const machine = `hs-nspawn-${process.pid}`;
  // nspawn's (empty) directory for files propagated into the container; a killed nspawn leaves it behind
  const propagate = `/run/systemd/nspawn/propagate/${machine}`;
  const consoleLines: string[] = [];
  const errLines: string[] = [];
  const exited = { done: false, code: null as number | null, signal: null as string | null };

  // The test runner ends a file that runs past its timeout with SIGTERM, and no `after` hook runs then: the container,
  // the namespace and the copy go with the process, synchronously.
  let cleaned = false;
  const emergency = () => {
    if (cleaned) return;
    cleaned = true;
    if (pid1) spawnSync('kill', ['-KILL', String(pid1)]);
    if (nspawn && !exited.done) nspawn.kill('SIGKILL');
    net?.destroy();
    rmSync(base, { recursive: true, force: true });
    try {
      rmdirSync(propagate);
    } catch {
      /* removed by nspawn, or never made */
    }
  };
  // exit (not the signal's default action) so that the other `exit` handlers (the test's control plane) run too
  const onSignal = (signal: NodeJS.Signals) => process.exit(signal === 'SIGINT' ? 130 : 143);
  process.once('exit', emergency);
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  const destroy = async () => {
    process.off('exit', emergency);
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    if (cleaned) return;
    cleaned = true;
    if (nspawn && !exited.done) {
      const gone = new Promise<void>((r) => nspawn!.once('exit', () => r()));
      // nspawn turns SIGTERM into SIGRTMIN+3 for the container's systemd: an orderly poweroff
      nspawn.kill('SIGTERM');
      const t = setTimeout(() => {
        if (pid1) spawnSync('kill', ['-KILL', String(pid1)]); // PID 1 of its PID namespace: takes every process along
        nspawn!.kill('SIGKILL');
      }, 20_000);
      await gone;
      clearTimeout(t);
    }
    net?.destroy();
    rmSync(base, { recursive: true, force: true });
    try {
      rmdirSync(propagate);
    } catch {
      /* removed by nspawn, or never made */
    }
  };

  try {
    execFileSync('cp', ['-a', pristine, root]);
    rmSync(join(root, '.complete'), { force: true });
    writeFileSync(join(root, 'etc/hostname'), `${hostname}\n`);
    writeFileSync(join(root, 'etc/hosts'), `127.0.0.1 localhost\n127.0.1.1 ${hostname}\n`);
    net = createNetns('nsp');
  } catch (err) {
    await destroy();
    throw err;
  }
  const t0 = Date.now();
  nspawn = spawn(
    'systemd-nspawn',
    [
      '--quiet',
      `--directory=${root}`,
      `--machine=${machine}`,
      `--hostname=${hostname}`,
      '--register=no',
      '--keep-unit',
      `--network-namespace-path=/run/netns/${net.ns}`,
      '--boot',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SYSTEMD_COLORS: '0' } },
  );
  const keep = (into: string[]) => (d: string) => {
    into.push(...d.split(/\r?\n/).map(stripAnsi).filter(Boolean));
    if (into.length > 400) into.splice(0, into.length - 400);
  };
  nspawn.stdout!.setEncoding('utf8').on('data', keep(consoleLines));
  nspawn.stderr!.setEncoding('utf8').on('data', keep(errLines));
  nspawn.once('exit', (code, signal) => Object.assign(exited, { done: true, code, signal }));
  nspawn.once('error', (err) => {
    errLines.push(err.message);
    Object.assign(exited, { done: true });
  });

  const sh: NspawnHost['sh'] = (command, ms = 300_000) =>
    new Promise((resolve) => {
      const child = execFile(
        'nsenter',
        [
          '-t',
          String(pid1),
          '-a',
          'env',
          '-i',
          ...Object.entries(ENV).map(([k, v]) => `${k}=${v}`),
          '/bin/sh',
          '-c',
          command,
        ],
        { timeout: ms, maxBuffer: 16 << 20 },
        (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
      );
      child.stdin?.end();
    });

  const fail = async (error: string) => {
    await destroy();
    return { error };
  };
  const deadline = t0 + deadlineMs;
  for (;;) {
    if (exited.done) {
      await new Promise((r) => setTimeout(r, 100)); // the last of its output
      const said = (errLines.length ? errLines : consoleLines.slice(-5)).join(' | ') || '(no output)';
      return fail(
        `systemd-nspawn --boot --register=no --keep-unit exited (${exited.signal ?? `code ${exited.code}`}): ${said}`,
      );
    }
    if (Date.now() > deadline)
      return fail(
        `systemd-nspawn --boot did not finish booting within ${deadlineMs / 1000} s; it printed last: ${[...errLines, ...consoleLines].slice(-5).join(' | ') || '(nothing)'}`,
      );
    pid1 ??= findInit(nspawn.pid!);
    if (pid1) {
      const left = Math.max(1000, deadline - Date.now());
      const r = await sh('systemctl is-system-running --wait', left);
      const state = r.stdout.trim();
      if (state === 'running' || state === 'degraded')
        return {
          root,
          hostIp: net.hostIp,
          hostname,
          pid1,
          state,
          bootMs: Date.now() - t0,
          console: consoleLines,
          sh,
          destroy,
        };
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
