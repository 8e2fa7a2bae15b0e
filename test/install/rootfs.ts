/**
 * A fresh Debian root filesystem for the installer tests: `debootstrap --variant=minbase` (no Node.js in it), built
 * once and cached under `$HOMEOSTAT_ROOTFS_CACHE` (default `<tmpdir>/homeostat-rootfs-cache`) in a directory keyed by
 * the debootstrap arguments, so the tests of one CI job share it. Each test gets its own copy (`cp -a`, ~1 s).
 *
 * Only `curl` and `sudo` are added to minbase: the documented one-liner is `curl … | sudo sh -s -- …`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SUITE = 'bookworm';
export const MIRROR = 'http://deb.debian.org/debian';
export const DEBOOTSTRAP_ARGS = ['--variant=minbase', '--include=curl,sudo'];

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
  const key = createHash('sha256')
    .update(JSON.stringify([SUITE, MIRROR, DEBOOTSTRAP_ARGS]))
    .digest('hex')
    .slice(0, 16);
  const dir = join(cacheRoot(), `${SUITE}-minbase-${key}`);
  if (existsSync(join(dir, '.complete'))) return dir;
  mkdirSync(cacheRoot(), { recursive: true });
  // One builder at a time (the test files run in parallel): the others wait for it, up to 15 minutes.
  const lock = `${dir}.lock`;
  const deadline = Date.now() + 900_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(join(dir, '.complete'))) return dir;
      if (Date.now() > deadline) throw new Error(`waited 15 min for ${lock} (remove it if no debootstrap is running)`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
    }
  }
  try {
    if (existsSync(join(dir, '.complete'))) return dir;
    return build(dir, log);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function build(dir: string, log: (line: string) => void): string {
  const building = `${dir}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  log(`debootstrap ${DEBOOTSTRAP_ARGS.join(' ')} ${SUITE} → ${dir} (cached for later runs)`);
  execFileSync('debootstrap', [...DEBOOTSTRAP_ARGS, SUITE, building, MIRROR], { stdio: 'ignore', timeout: 900_000 });
  // lean copy: the apt archives are not needed in the test hosts
  rmSync(join(building, 'var/cache/apt/archives'), { recursive: true, force: true });
  mkdirSync(join(building, 'var/cache/apt/archives/partial'), { recursive: true });
  writeFileSync(join(building, '.complete'), `${new Date().toISOString()}\n`);
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  renameSync(building, dir);
  return dir;
}
