/**
 * Poison isolation for ingest (pure helpers): a batch that the database refuses is split into single-record units and
 * bisected, so one record that can never be stored (a value the driver or the database rejects) is found and
 * quarantined while every other record of the batch is committed. Whether a failure is the data's fault or the
 * database's (down, locked, full) decides between quarantine and retry: {@link isDataError}.
 */
import type { IngestItem } from './ingester.ts';

/** Splits items into units of one record each (one sample, one event, one host update), in order. */
export function toUnits(items: IngestItem[]): IngestItem[] {
  const out: IngestItem[] = [];
  for (const item of items) {
    switch (item.kind) {
      case 'telemetry':
        for (const s of item.samples) out.push({ kind: 'telemetry', agentId: item.agentId, samples: [s] });
        break;
      case 'events':
        for (const e of item.events) out.push({ kind: 'events', agentId: item.agentId, events: [e] });
        break;
      default:
        out.push(item);
    }
  }
  return out;
}

/** What a quarantined unit was: kind, agent and seq (samples and events). */
export function describeUnit(u: IngestItem): { kind: IngestItem['kind']; agentId: string; seq: number | null } {
  const seq =
    u.kind === 'telemetry' ? (u.samples[0]?.seq ?? null) : u.kind === 'events' ? (u.events[0]?.seq ?? null) : null;
  return { kind: u.kind, agentId: u.agentId, seq };
}

/**
 * Errors that say "this value cannot be stored", as opposed to "the database is unavailable": PostgreSQL SQLSTATE
 * classes 22 (data exception: invalid JSON/text, NUL, out of range) and 23 (integrity), SQLite's JSON and datatype
 * errors. Checked on the error and its causes (Prisma wraps driver errors).
 */
export function isDataError(err: unknown): boolean {
  for (let e: unknown = err, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause, i++) {
    const o = e as { code?: unknown; meta?: { code?: unknown; message?: unknown }; message?: unknown };
    const codes = [o.code, o.meta?.code].filter((c): c is string => typeof c === 'string');
    if (codes.some((c) => /^2[23][0-9A-Z]{3}$/.test(c) || c === 'SQLITE_MISMATCH' || c === 'SQLITE_TOOBIG'))
      return true;
    const text = `${typeof o.message === 'string' ? o.message : ''} ${typeof o.meta?.message === 'string' ? o.meta.message : ''}`;
    if (
      /JSON Error|malformed JSON|invalid input syntax for type json|unsupported Unicode escape|invalid byte sequence|22P0[25]|22021|string too big/i.test(
        text,
      )
    )
      return true;
  }
  return false;
}

/** A reason fit for a log line, an ack and the audit (well-formed, bounded). */
export function reasonOf(err: unknown, max = 200): string {
  // Prisma puts the call site first and the driver's words last: keep the last line.
  const raw =
    (err instanceof Error ? err.message : String(err))
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .at(-1) ?? 'error';
  const clean = raw
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .replace(/\s+/g, ' ')
    .trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** Outcome of {@link bisect}: units that failed alone (with their error) and whether any sub-batch was committed. */
export type BisectResult = { failed: { unit: IngestItem; err: unknown }[]; anyCommitted: boolean; aborted: boolean };

/**
 * Writes `units` with `write`, halving every failing range down to single units. Stops early (aborted) after
 * `maxFailedWrites` failing writes with nothing committed: then the database, not the data, is the likely cause.
 */
export async function bisect(
  units: IngestItem[],
  write: (u: IngestItem[]) => Promise<void>,
  maxFailedWrites = 64,
): Promise<BisectResult> {
  const failed: BisectResult['failed'] = [];
  let anyCommitted = false;
  let failedWrites = 0;
  const stack: IngestItem[][] = [units];
  while (stack.length > 0) {
    const part = stack.pop()!;
    try {
      await write(part);
      anyCommitted = true;
    } catch (err) {
      failedWrites++;
      if (!anyCommitted && failedWrites > maxFailedWrites) return { failed, anyCommitted, aborted: true };
      if (part.length === 1) {
        failed.push({ unit: part[0]!, err });
        continue;
      }
      const mid = part.length >> 1;
      stack.push(part.slice(mid), part.slice(0, mid));
    }
  }
  return { failed, anyCommitted, aborted: false };
}
