/** Scale-free trend features over one disk's own history (see features.ts for where they go). */
import type { DayCounters, DiskHistory } from './history.ts';
import { HEALTH_NORMALIZED_IDS, type SmartReading } from './smart-reading.ts';

/**
 * Consecutive observations ending today (at most HISTORY_DAYS) for which `stalled(value, previous value)` holds;
 * stops at the first pair where either value is unknown (histories saved before disk-features/2 have none).
 */
export function stalledDays(
  past: readonly DayCounters[],
  today: DayCounters,
  get: (c: DayCounters) => number | undefined,
  stalled: (now: number, prev: number) => boolean,
): number {
  let n = 0;
  let now = get(today);
  for (let i = past.length - 1; i >= 0 && now !== undefined; i--) {
    const prev = get(past[i]!);
    if (prev === undefined || !stalled(now, prev)) break;
    n++;
    now = prev;
  }
  return n;
}

/** Pairs of consecutive observations in the "recent" window of {@link readErrorRateSurprise}. */
export const RECENT_PAIRS = 3;
/** Older pairs needed before the surprise is defined. */
const MIN_OLDER_PAIRS = 3;

/**
 * How much more often SMART 1 raw changed in the last {@link RECENT_PAIRS} observation pairs than it did before on
 * the same disk: recent share of changed pairs minus older share, in -1..1. The raw value is on a vendor scale
 * (Seagate's moves every day, Hitachi's and WDC's sit at 0 until the heads struggle), so only a change in its own
 * behaviour is comparable across vendors. 0 until {@link MIN_OLDER_PAIRS} older pairs exist.
 */
export function readErrorRateSurprise(history: DiskHistory, today: DayCounters): number {
  const seq = [...history.past.slice(-RECENT_PAIRS), today];
  let recentPairs = 0;
  let recentChanges = 0;
  let inPastPairs = 0;
  let inPastChanges = 0;
  for (let i = 1; i < seq.length; i++) {
    const a = seq[i - 1]!.readErrorRate;
    const b = seq[i]!.readErrorRate;
    if (a === undefined || b === undefined) continue;
    recentPairs++;
    if (a !== b) recentChanges++;
    if (i < seq.length - 1) {
      inPastPairs++;
      if (a !== b) inPastChanges++;
    }
  }
  const olderPairs = (history.readPairs ?? 0) - inPastPairs;
  const olderChanges = (history.readChanges ?? 0) - inPastChanges;
  if (recentPairs === 0 || olderPairs < MIN_OLDER_PAIRS) return 0;
  return recentChanges / recentPairs - olderChanges / olderPairs;
}

/**
 * Largest relative fall of a health attribute's normalized value below the best this disk has shown
 * ((best - today) / best, 0..1); 0 when the reading or the history has no normalized values.
 */
export function normalizedDrop(history: DiskHistory, reading: SmartReading): number {
  const norm = reading.normalized;
  if (!norm) return 0;
  let drop = 0;
  for (const id of HEALTH_NORMALIZED_IDS) {
    const v = norm[id];
    const best = history.maxNormalized?.[id];
    if (v === undefined || !Number.isFinite(v) || best === undefined || best <= 0) continue;
    drop = Math.max(drop, Math.min(1, Math.max(0, (best - v) / best)));
  }
  return drop;
}
