/**
 * A network namespace joined to this machine by a veth pair (host side `10.232.N.1/24`, namespace side `10.232.N.2`),
 * for tests that partition an agent from its control plane for real: {@link NetnsLink.cut} takes the host side of the
 * link down (packets in either direction vanish, no RST, like a pulled cable), {@link NetnsLink.restore} brings it back.
 * Processes started with {@link NetnsLink.argv} share this machine's file system. Needs root and iproute2.
 */
import { execFileSync, spawnSync } from 'node:child_process';

export type NetnsLink = {
  ns: string;
  /** Bind the control plane here. */
  hostIp: string;
  /** `ip netns exec <ns> <argv…>`: the argv to spawn to run a command inside. */
  argv(command: string[]): string[];
  cut(): void;
  restore(): void;
  destroy(): void;
};

/** Why a namespace cannot be made here (not root, no iproute2), or null when it can. */
export function netnsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (ip netns)';
  const r = spawnSync('ip', ['netns', 'list'], { stdio: 'pipe' });
  return r.status === 0 ? null : `ip netns unavailable: ${r.error?.message ?? r.stderr?.toString().trim()}`;
}

export function createNetnsLink(tag: string): NetnsLink {
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
  const used = execFileSync('ip', ['-o', '-4', 'addr'], { encoding: 'utf8' });
  let n = 10 + (process.pid % 240);
  while (used.includes(`10.232.${n}.`)) n = 10 + ((n - 9) % 240);
  const id = `${tag}${process.pid % 100000}`;
  const ns = `hs-${id}`;
  const vh = `${id}h`.slice(0, 15);
  const vn = `${id}n`.slice(0, 15);
  const hostIp = `10.232.${n}.1`;
  const destroy = () => {
    spawnSync('ip', ['netns', 'del', ns]);
    spawnSync('ip', ['link', 'del', vh]);
  };
  try {
    ip('netns', 'add', ns);
    ip('link', 'add', vh, 'type', 'veth', 'peer', 'name', vn);
    ip('link', 'set', vn, 'netns', ns);
    ip('addr', 'add', `${hostIp}/24`, 'dev', vh);
    ip('link', 'set', vh, 'up');
    ip('netns', 'exec', ns, 'ip', 'addr', 'add', `10.232.${n}.2/24`, 'dev', vn);
    ip('netns', 'exec', ns, 'ip', 'link', 'set', vn, 'up');
    ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
  } catch (err) {
    destroy();
    throw err;
  }
  return {
    ns,
    hostIp,
    argv: (command) => ['netns', 'exec', ns, ...command],
    cut: () => ip('link', 'set', vh, 'down'),
    restore: () => ip('link', 'set', vh, 'up'),
    destroy,
  };
}
