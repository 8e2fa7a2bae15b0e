/**
 * Durable JSON files for the healer: guard state and the last-known-good policy set. Writes are atomic
 * (temp file, fsync, rename, fsync of the directory) so a crash leaves the old or the new value, never half.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { emptyGuardState, guardStateSchema, type GuardState } from './guard-state.ts';

/** Writes `value` as JSON atomically. */
export function writeJsonAtomic(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(value));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dfd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

/** Reads JSON; null when absent or unreadable. */
export function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

/** Loads the guard state; a missing or corrupt file yields a fresh state and the reason. */
export function loadGuardState(path: string): { state: GuardState; warning?: string } {
  const raw = readJson(path);
  if (raw === null) return { state: emptyGuardState() };
  const r = guardStateSchema.safeParse(raw);
  return r.success
    ? { state: r.data }
    : {
        state: emptyGuardState(),
        warning: `guard state '${path}' was invalid and is reset: ${r.error.issues[0]?.message}`,
      };
}

export function saveGuardState(path: string, state: GuardState): void {
  writeJsonAtomic(path, state);
}

/** Persists the guard state only when it differs from what was last written (by its JSON). */
export type GuardStateWriter = { save(state: GuardState): boolean };

/**
 * A writer for one guard-state file. The healer saves after every cycle's decisions, but the state changes only when
 * a condition starts or stops holding, an action runs or an approval/pause arrives: comparing the JSON (a few hundred
 * bytes) costs microseconds, the atomic write with two fsyncs costs a millisecond or more and wears the disk.
 * `initial` is the state loaded from the file (so an unchanged state after a restart is not rewritten either).
 */
export function createGuardStateWriter(path: string, initial?: GuardState): GuardStateWriter {
  let written = initial === undefined ? null : JSON.stringify(initial);
  return {
    save(state) {
      const json = JSON.stringify(state);
      if (json === written) return false;
      writeJsonAtomic(path, state);
      written = json;
      return true;
    },
  };
}
