/**
 * Replay source: plays a recorded trace through the same {@link ReadingSource} interface as the live engine, so the
 * runtime, tests, the demo fleet and benchmarks cannot tell the difference. Trace time advances `speedup` times
 * faster than the caller's clock; each collect() returns the latest row at or before the mapped trace time.
 */
import { readFileSync } from 'node:fs';
import { ValidationError } from '../../contract/errors.ts';
import { inventoryHash } from '../collect/inventory.ts';
import type { CycleReading, Inventory, ReadingSource } from '../collect/types.ts';
import { modelVector } from '../features/extract.ts';
import { FEATURE_SCHEMA_VERSION, featureDef } from '../../contract/features/schema.ts';
import { parseTraceCsv, type Trace } from './csv.ts';

export interface ReplayOptions {
  /** CSV text, or `path` to a CSV file. */
  csv?: string;
  path?: string;
  /** Column -> feature name. Default: every column whose header is already a registered feature name. */
  mapping?: Record<string, string>;
  /** Trace seconds per wall second (default 1). 60 plays a minute-resolution trace at one row per second. */
  speedup?: number;
  /** Start this many rows in (default 0); lets many simulated hosts play one trace out of phase. */
  offsetRows?: number;
  /** Wrap around at the end (default true); otherwise the last row repeats. */
  loop?: boolean;
  /** Multiplies every value (default 1) and adds `jitter`·N(0,1)-ish noise from `random` (default none). */
  scale?: number;
  jitter?: number;
  random?: () => number;
  /** Inventory reported for the simulated host (default: names the trace). */
  inventory?: Record<string, unknown>;
  /** Name of the trace for inventory and collector status (default 'replay'). */
  name?: string;
}

/** Creates a replay source. Throws ValidationError naming every mapping entry that is not a registered feature. */
export function createReplaySource(options: ReplayOptions): ReadingSource & { trace: Trace } {
  const text = options.csv ?? (options.path ? readFileSync(options.path, 'utf8') : null);
  if (text === null) throw new ValidationError([{ path: 'csv', message: 'give csv text or path' }], 'replay options');
  const trace = parseTraceCsv(text);
  if (trace.rows.length === 0)
    throw new ValidationError([{ path: 'csv', message: 'trace has no rows' }], 'replay options');
  const mapping = options.mapping ?? Object.fromEntries(trace.columns.filter((c) => featureDef(c)).map((c) => [c, c]));
  const issues = Object.entries(mapping).flatMap(([col, feat]) => [
    ...(trace.columns.includes(col)
      ? []
      : [{ path: `mapping.${col}`, message: `no column '${col}' (columns: ${trace.columns.join(', ')})` }]),
    ...(featureDef(feat)
      ? []
      : [{ path: `mapping.${col}`, message: `'${feat}' is not a registered feature (agent/features/schema.ts)` }]),
  ]);
  if (Object.keys(mapping).length === 0) issues.push({ path: 'mapping', message: 'no column maps to a feature' });
  if (issues.length) throw new ValidationError(issues, 'replay options');
  const cols = Object.entries(mapping).map(([col, feat]) => ({ idx: trace.columns.indexOf(col), feat }));
  const speedup = options.speedup ?? 1,
    loop = options.loop ?? true,
    scale = options.scale ?? 1;
  const t0 = trace.rows[0]!.ts,
    span = trace.rows.at(-1)!.ts - t0;
  const step = trace.rows.length > 1 ? span / (trace.rows.length - 1) : 1;
  const offset = (options.offsetRows ?? 0) * step;
  const name = options.name ?? 'replay';
  let firstNow: number | null = null;
  let started = false;

  function rowAt(now: number) {
    firstNow ??= now;
    let t = offset + (now - firstNow) * speedup;
    if (loop) t = span > 0 ? t % (span + step) : 0;
    else t = Math.min(t, span);
    // Binary search: last row with ts <= t0 + t.
    let lo = 0,
      hi = trace.rows.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (trace.rows[mid]!.ts - t0 <= t) lo = mid;
      else hi = mid - 1;
    }
    return trace.rows[lo]!;
  }

  return {
    trace,
    async start() {
      started = true;
    },
    async collect(now): Promise<CycleReading> {
      if (!started) throw new Error('replay source is not started');
      const row = rowAt(now);
      const features = modelVector();
      for (const c of cols) {
        const x = row.values[c.idx] ?? null;
        features[c.feat] =
          x === null
            ? null
            : x * scale +
              (options.jitter && options.random
                ? options.jitter * (options.random() + options.random() + options.random() - 1.5)
                : 0);
      }
      return { ts: now, schema: FEATURE_SCHEMA_VERSION, features, collectors: { replay: 'ok' }, facts: {} };
    },
    async inventory(): Promise<Inventory> {
      const inventory = options.inventory ?? { replay: name, columns: Object.values(mapping) };
      return { ts: firstNow ?? 0, hash: inventoryHash(inventory), inventory };
    },
    async stop() {
      started = false;
    },
  };
}
