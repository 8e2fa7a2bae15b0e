/**
 * A fresh Debian root filesystem for the installer tests: `debootstrap --variant=minbase` (no Node.js in it), built
 * once and cached under `$HOMEOSTAT_ROOTFS_CACHE` (default `<tmpdir>/homeostat-rootfs-cache`) in a directory keyed by
 * the debootstrap arguments, so the tests of one CI job share it. Each test gets its own copy (`cp -a`, ~1 s).
 *
 * Only `curl` and `sudo` are added to minbase: the documented one-liner is `curl … | sudo sh -s -- …`.
 *
 * {@link cachedSystemdRootfs} is the same rootfs with systemd as init (`systemd`, `systemd-sysv`, `dbus`, installed
 * by apt in a chroot of a copy of it), for booting with `systemd-nspawn -b` (nspawn-host.ts); cached the same way.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SUITE = 'bookworm';
export const MIRROR = 'http://deb.debian.org/debian';
export const DEBOOTSTRAP_ARGS = ['--variant=minbase', '--include=curl,sudo'];
/** What the systemd variant adds to minbase: an init that boots in a container, and the bus systemctl talks over. */
export const SYSTEMD_PACKAGES = ['systemd', 'systemd-sysv', 'dbus'];

/** Why the rootfs tests cannot run here, or null when they can. */
export function rootfsUnavailable(): string | null {
  if (process.platform !== 'linux') return 'needs Linux (debootstrap, network namespaces, chroot)';
  if (process.getuid?.() !== 0) return 'needs root (debootstrap, chroot, ip netns)';
  for (const tool of ['debootstrap', 'ip', 'chroot', 'mount']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
      return `${tool} is not installed (apt-get install debootstrap iproute2)`;
  }
  return null;
}

function cacheRoot(): string {
  return process.env.HOMEOSTAT_ROOTFS_CACHE ?? join(tmpdir(), 'homeostat-rootfs-cache');
}

/** The cached pristine rootfs (built on first use; a few minutes); never modify it, copy it. */
export function cachedRootfs(log: (line: string) => void = () => {}): string {
  const key = hash([SUITE, MIRROR, DEBOOTSTRAP_ARGS]);
  return cached(join(cacheRoot(), `${SUITE}-minbase-${key}`), (building) => {
    log(`debootstrap ${DEBOOTSTRAP_ARGS.join(' ')} ${SUITE} → ${building} (cached for later runs)`);
    execFileSync('debootstrap', [...DEBOOTSTRAP_ARGS, SUITE, building, MIRROR], { stdio: 'ignore', timeout: 900_000 });
  });
}

/** The cached minbase rootfs plus systemd as init (built on first use from {@link cachedRootfs}: apt in a chroot, about a
 * minute); never modify it, copy it. */
export function cachedSystemdRootfs(log: (line: string) => void = () => {}): string {
  const minbase = cachedRootfs(log);
  const key = hash([SUITE, MIRROR, DEBOOTSTRAP_ARGS, SYSTEMD_PACKAGES]);
  return cached(join(cacheRoot(), `${SUITE}-systemd-${key}`), (building) => {
    log(`apt-get install ${SYSTEMD_PACKAGES.join(' ')} in a copy of ${minbase} → ${building} (cached for later runs)`);
    execFileSync('cp', ['-a', minbase, building]);
    rmSync(join(building, '.complete'));
    copyFileSync('/etc/resolv.conf', join(building, 'etc/resolv.conf'));
    // no service starts in the chroot (invoke-rc.d asks policy-rc.d; 101 = action forbidden)
    writeFileSync(join(building, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 });
    const proc = join(building, 'proc');
    execFileSync('mount', ['-t', 'proc', 'proc', proc]);
    try {
      const apt = `apt-get update -qq && apt-get install -y -qq --no-install-recommends ${SYSTEMD_PACKAGES.join(' ')} && apt-get clean`;
      const r = spawnSync('chroot', [building, '/bin/sh', '-c', apt], {
        encoding: 'utf8',
        timeout: 900_000,
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', DEBIAN_FRONTEND: 'noninteractive', LANG: 'C' },
      });
      if (r.status !== 0)
        throw new Error(`apt-get in the rootfs chroot failed (${r.status}): ${r.error?.message ?? r.stderr}`);
    } finally {
      spawnSync('umount', ['-l', proc]);
    }
    rmSync(join(building, 'usr/sbin/policy-rc.d'));
    // the timers of a long-lived server only add work to a test boot
    for (const timer of [
      'apt-daily.timer',
      'apt-daily-upgrade.timer',
      'dpkg-db-backup.timer',
      'e2scrub_all.timer',
      'fstrim.timer',
    ])
      rmSync(join(building, 'etc/systemd/system/timers.target.wants', timer), { force: true });
  });
}

function hash(v: unknown): string {
  return createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 16);
}

/** `dir` when complete, else built once into a scratch directory by `make` and renamed to it (one builder at a time:
 * the test files run in parallel and the others wait for it, up to 15 minutes). */
function cached(dir: string, make: (building: string) => void): string {
  if (existsSync(join(dir, '.complete'))) return dir;
  mkdirSync(cacheRoot(), { recursive: true });
  const lock = `${dir}.lock`;
  const deadline = Date.now() + 900_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(join(dir, '.complete'))) return dir;
      if (Date.now() > deadline) throw new Error(`waited 15 min for ${lock} (remove it if no build is running)`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
    }
  }
  try {
    if (existsSync(join(dir, '.complete'))) return dir;
    const building = `${dir}.building-${process.pid}`;
    rmSync(building, { recursive: true, force: true });
    try {
      make(building);
      // lean copy: the apt archives are not needed in the test hosts
      rmSync(join(building, 'var/cache/apt/archives'), { recursive: true, force: true });
      mkdirSync(join(building, 'var/cache/apt/archives/partial'), { recursive: true });
      writeFileSync(join(building, '.complete'), `${new Date().toISOString()}\n`);
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
      renameSync(building, dir);
    } catch (err) {
      rmSync(building, { recursive: true, force: true });
      throw err;
    }
    return dir;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
