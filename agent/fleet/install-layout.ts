/**
 * The installed layout on disk (packaging/install.sh, docs/agent-install.md): `<root>/<version>/` per version with
 * `bin/homeostat-agent`, `bin/node`, `lib/agent/…` and `VERSION`; `<root>/current` and `<root>/previous` are relative
 * symbolic links to version directories. Links are switched atomically: a new link is made beside the old one and
 * renamed over it (rename(2) replaces a link in one step, so a start never sees no `current`).
 *
 * The pending-upgrade record and the release file live in the state directory, written the same way (tmp + rename).
 */
import {
  existsSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { AGENT_VERSION } from '../version.ts';
import {
  RELEASE_FILE,
  ReleaseSchema,
  UPGRADE_RECORD,
  UpgradeRecordSchema,
  type Release,
  type UpgradeRecord,
} from './upgrade-record.ts';

/** Where this process runs from when it was started from an installed version, else null (a checkout, dist/). */
export interface Installed {
  root: string;
  dir: string;
  version: string;
}

/** The installed version containing `entry` (the agent bundle: `<root>/<version>/lib/agent/*.mjs`), or null. */
export function installedFrom(entry: string | undefined = process.argv[1]): Installed | null {
  if (!entry) return null;
  let real: string;
  try {
    real = realpathSync(entry);
  } catch {
    return null;
  }
  const dir = resolve(dirname(real), '..', '..');
  try {
    const version = readFileSync(join(dir, 'VERSION'), 'utf8').trim();
    if (!version || basename(dir) !== version) return null;
    return { root: dirname(dir), dir, version };
  } catch {
    return null;
  }
}

/** The version this process runs: the installed version's VERSION file, else the compiled-in one. */
export function runningVersion(entry?: string): string {
  return installedFrom(entry)?.version ?? AGENT_VERSION;
}

/** The version `<root>/<link>` points to, or null. */
export function linkTarget(root: string, link: 'current' | 'previous'): string | null {
  try {
    return basename(readlinkSync(join(root, link)));
  } catch {
    return null;
  }
}

/** Points `<root>/<link>` at `<root>/<version>` in one rename. */
export function switchLink(root: string, link: 'current' | 'previous', version: string): void {
  if (!existsSync(join(root, version, 'bin', 'homeostat-agent')))
    throw new Error(`${join(root, version)} is not an installed agent version`);
  const tmp = join(root, `.${link}.${process.pid}.${Date.now()}`);
  rmSync(tmp, { force: true });
  symlinkSync(version, tmp);
  renameSync(tmp, join(root, link));
}

function writeAtomic(file: string, body: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, body, { mode: 0o600 });
  renameSync(tmp, file);
}

/** The pending-upgrade record, or null (none, or unreadable: reported by the caller through `onBad`). */
export function readRecord(stateDir: string, onBad?: (why: string) => void): UpgradeRecord | null {
  const file = join(stateDir, UPGRADE_RECORD);
  if (!existsSync(file)) return null;
  try {
    return UpgradeRecordSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch (err) {
    onBad?.(`${file} is not an upgrade record: ${(err as Error).message}`);
    return null;
  }
}

export function writeRecord(stateDir: string, record: UpgradeRecord): void {
  writeAtomic(join(stateDir, UPGRADE_RECORD), `${JSON.stringify(record, null, 2)}\n`);
}

export function removeRecord(stateDir: string): void {
  rmSync(join(stateDir, UPGRADE_RECORD), { force: true });
}

/** The release file, or null before the first upgrade. */
export function readRelease(stateDir: string): Release | null {
  try {
    return ReleaseSchema.parse(JSON.parse(readFileSync(join(stateDir, RELEASE_FILE), 'utf8')));
  } catch {
    return null;
  }
}

export function writeRelease(stateDir: string, release: Release): void {
  writeAtomic(join(stateDir, RELEASE_FILE), `${JSON.stringify(release, null, 2)}\n`);
}

/**
 * Switches back after a failed upgrade: `current` to the old version, `previous` to the failed one, and the record
 * marked rolled back (the old version reports it at its next start). Returns the record written.
 */
export function switchBack(stateDir: string, record: UpgradeRecord): UpgradeRecord {
  switchLink(record.root, 'current', record.from);
  try {
    switchLink(record.root, 'previous', record.to);
  } catch {
    // the failed version's directory is gone: no `previous` to point at
  }
  writeRecord(stateDir, record);
  return record;
}

/** Removes installed versions under `root` other than `keep` and what `current`/`previous` point to; returns them. */
export function pruneVersions(root: string, keep: string[]): string[] {
  const kept = new Set([...keep, linkTarget(root, 'current'), linkTarget(root, 'previous')]);
  const removed: string[] = [];
  for (const name of readdirSync(root)) {
    if (kept.has(name) || name.startsWith('.') || name === 'current' || name === 'previous') continue;
    const dir = join(root, name);
    let v: string | null = null;
    try {
      v = readFileSync(join(dir, 'VERSION'), 'utf8').trim();
    } catch {
      continue; // not an installed version: not ours to remove
    }
    if (v !== name) continue;
    rmSync(dir, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * The version `running` replaced, as presence and status state it: the old version of an upgrade not confirmed yet,
 * else what the release file says ran before; null when unknown (first install, a checkout).
 */
export function previousVersion(stateDir: string, running: string): string | null {
  const record = readRecord(stateDir);
  if (record?.status === 'pending' && record.to === running) return record.from;
  const release = readRelease(stateDir);
  return release?.running === running ? release.previous : null;
}
