/**
 * The heal decision journal: append-only JSON lines, fsync'd after every batch, rotated by size
 * (`<path>` → `<path>.1` … `<path>.<keep>`). Every decision and execution outcome is written here before it
 * is handed to the outbox, so the local audit trail survives an unreachable control plane and restarts.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import type { HealEvent } from './types.ts';

export interface Journal {
  /** Appends events durably (write + fsync). */
  append(events: readonly HealEvent[]): void;
  close(): void;
}

export interface JournalOptions {
  path: string;
  maxBytes: number;
  keep: number;
}

/** Opens (creating) the journal file. */
export function openJournal(opts: JournalOptions): Journal {
  mkdirSync(dirname(opts.path), { recursive: true });
  let fd = openSync(opts.path, 'a', 0o640);
  let size = fstatSync(fd).size;
  const rotate = () => {
    closeSync(fd);
    rmSync(`${opts.path}.${opts.keep}`, { force: true });
    for (let i = opts.keep - 1; i >= 1; i--)
      if (existsSync(`${opts.path}.${i}`)) renameSync(`${opts.path}.${i}`, `${opts.path}.${i + 1}`);
    renameSync(opts.path, `${opts.path}.1`);
    fd = openSync(opts.path, 'a', 0o640);
    size = 0;
  };
  return {
    append(events) {
      if (events.length === 0) return;
      const text = events.map((e) => JSON.stringify(e)).join('\n') + '\n';
      const bytes = Buffer.byteLength(text);
      if (size > 0 && size + bytes > opts.maxBytes) rotate();
      writeSync(fd, text);
      fsyncSync(fd);
      size += bytes;
    },
    // Idempotent: closing a numeric fd twice could close an unrelated file that reused the number (e.g. the outbox).
    close() {
      if (fd < 0) return;
      const f = fd;
      fd = -1;
      closeSync(f);
    },
  };
}

/** Reads a journal file back (tests, diagnostics); a torn last line from a crash is ignored. */
export function readJournal(path: string): HealEvent[] {
  if (!existsSync(path)) return [];
  const out: HealEvent[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as HealEvent);
    } catch {
      /* torn write */
    }
  }
  return out;
}
