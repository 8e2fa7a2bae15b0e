/**
 * A bare Debian host for the installer tests: a copy of the cached minbase rootfs (rootfs.ts) with /proc, /sys and
 * /dev mounted, attached to this machine through its own network namespace and a veth pair (host side
 * `10.231.N.1/24`, the namespace `10.231.N.2`), so it reaches the control plane only at the address the control plane
 * advertises. Commands run as `ip netns exec <ns> chroot <root> …` with a clean environment.
 *
 * In the chroot PID 1 is not systemd, so the agent is run the way the unit's ExecStart runs it (docs/agent-install.md).
 * The real unit under systemd is booted by nspawn-host.ts (`systemd-nspawn -b` joined to a namespace from
 * {@link createNetns}).
 */
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Proc } from '../integration/harness.ts';

export type NetnsHost = {
  root: string;
  ns: string;
  /** The control plane's side of the veth pair (bind the control plane here). */
  hostIp: string;
  /** Runs a shell command inside (bounded; asynchronous, so servers in this process keep answering); never throws
   * on a non-zero exit. */
  sh(command: string, ms?: number): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** Starts a long-running command inside (e.g. the agent). */
  spawn(argv: string[], env?: Record<string, string>): Proc;
  destroy(): void;
};

const ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C' };

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

/** A network namespace `/run/netns/<ns>` joined to this machine by a veth pair. */
export type Netns = { ns: string; hostIp: string; guestIp: string; destroy(): void };

/** Creates the namespace and the veth pair (`10.231.N.1` here, `10.231.N.2` inside, a /24 no interface uses yet). */
export function createNetns(tag = 'inst'): Netns {
  // a /24 no interface of this machine uses yet (two test files may each have a host at once)
  const used = execFileSync('ip', ['-o', '-4', 'addr'], { encoding: 'utf8' });
  let n = 10 + (process.pid % 240);
  while (used.includes(`10.231.${n}.`)) n = 10 + ((n - 9) % 240);
  const ns = `hs-${tag}-${process.pid}`;
  const vh = `hs${tag[0]}${process.pid % 100000}h`;
  const vn = `hs${tag[0]}${process.pid % 100000}n`;
  const destroy = () => {
    spawnSync('ip', ['netns', 'del', ns]);
    spawnSync('ip', ['link', 'del', vh]);
  };
  const hostIp = `10.231.${n}.1`;
  const guestIp = `10.231.${n}.2`;
  try {
    ip('netns', 'add', ns);
    ip('link', 'add', vh, 'type', 'veth', 'peer', 'name', vn);
    ip('link', 'set', vn, 'netns', ns);
    ip('addr', 'add', `${hostIp}/24`, 'dev', vh);
    ip('link', 'set', vh, 'up');
    ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${guestIp}/24`, 'dev', vn);
    ip('netns', 'exec', ns, 'ip', 'link', 'set', vn, 'up');
    ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
  } catch (err) {
    destroy();
    throw err;
  }
  return { ns, hostIp, guestIp, destroy };
}

export function createNetnsHost(pristine: string): NetnsHost {
  const base = mkdtempSync(join(tmpdir(), 'homeostat-host-'));
  const root = join(base, 'root');
  const mounts: string[] = [];
  let net: Netns | undefined;
  const destroy = () => {
    for (const m of mounts) spawnSync('umount', ['-l', m]);
    mounts.length = 0;
    net?.destroy();
    rmSync(base, { recursive: true, force: true });
  };
  const mount = (args: string[], target: string) => {
    execFileSync('mount', [...args, join(root, target)]);
    mounts.unshift(join(root, target));
  };
  try {
    execFileSync('cp', ['-a', pristine, root]);
    writeFileSync(join(root, 'etc', 'hosts'), '127.0.0.1 localhost\n127.0.1.1 bare-host\n');
    writeFileSync(join(root, 'etc', 'hostname'), 'bare-host\n');
    net = createNetns();
    mount(['-t', 'proc', 'proc'], 'proc');
    mount(['-t', 'sysfs', 'sysfs'], 'sys');
    mount(['--bind', '/dev'], 'dev');
  } catch (err) {
    destroy();
    throw err;
  }
  const { ns, hostIp } = net;
  const argvFor = (argv: string[]) => [
    'netns',
    'exec',
    ns,
    'env',
    '-i',
    ...Object.entries(ENV).map(([k, v]) => `${k}=${v}`),
    'chroot',
    root,
    ...argv,
  ];
  return {
    root,
    ns,
    hostIp,
    sh(command, ms = 300_000) {
      return new Promise((resolve) => {
        const child = execFile(
          'ip',
          argvFor(['/bin/sh', '-c', command]),
          { timeout: ms, maxBuffer: 16 << 20 },
          (err, stdout, stderr) =>
            resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
        );
        child.stdin?.end();
      });
    },
    spawn(argv, env = {}) {
      const full = argvFor(argv);
      // env -i … KEY=VALUE before chroot
      full.splice(full.indexOf('chroot'), 0, ...Object.entries(env).map(([k, v]) => `${k}=${v}`));
      const child = spawn('ip', full, { stdio: ['ignore', 'pipe', 'pipe'] });
      const stdout: string[] = [];
      const stderr: string[] = [];
      child.stdout!.setEncoding('utf8').on('data', (d: string) => stdout.push(...d.split('\n').filter(Boolean)));
      child.stderr!.setEncoding('utf8').on('data', (d: string) => {
        stderr.push(...d.split('\n').filter(Boolean));
        if (stderr.length > 300) stderr.splice(0, stderr.length - 300);
      });
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
    },
    destroy,
  };
}
