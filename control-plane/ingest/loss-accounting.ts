/**
 * Loss accounting (pure): reconciles the seq gaps of a host's stored records with the ranges its `outbox.dropped`
 * events reported (contract/api/host-loss.ts). Interval arithmetic on sorted inclusive ranges, linear in their number.
 */
import type { HostLoss } from '../../contract/api/host-loss.ts';
import type { SeqSpan } from '../store/ports.ts';

export type Range = [number, number];

/** The seq ranges one stored drop event reports: `ranges`, or `[fromSeq, toSeq]` from agents older than D1. */
export function reportedRanges(data: Record<string, unknown>): Range[] {
  const isInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
  if (Array.isArray(data.ranges)) {
    return data.ranges.filter(
      (r): r is Range => Array.isArray(r) && r.length === 2 && isInt(r[0]) && isInt(r[1]) && r[0] <= r[1],
    );
  }
  return isInt(data.fromSeq) && isInt(data.toSeq) && data.fromSeq <= data.toSeq ? [[data.fromSeq, data.toSeq]] : [];
}

/** Sorts and merges inclusive ranges (adjacent ones join). */
export function union(ranges: readonly Range[]): Range[] {
  const out: Range[] = [];
  for (const [a, b] of [...ranges].sort((x, y) => x[0] - y[0])) {
    const last = out.at(-1);
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** Sorted disjoint `a` minus sorted disjoint `b`. */
export function subtract(a: readonly Range[], b: readonly Range[]): Range[] {
  const out: Range[] = [];
  let j = 0;
  for (const [from, to] of a) {
    let start = from;
    while (j < b.length && b[j]![1] < start) j++;
    let k = j;
    while (start <= to && k < b.length && b[k]![0] <= to) {
      if (b[k]![0] > start) out.push([start, b[k]![0] - 1]);
      start = Math.max(start, b[k]![1] + 1);
      k++;
    }
    if (start <= to) out.push([start, to]);
  }
  return out;
}

export const size = (ranges: readonly Range[]) => ranges.reduce((n, [a, b]) => n + b - a + 1, 0);

const MAX_LISTED = 100;

/** The accounting of one host from its seq span and the data of its stored drop events. */
export function reconcileLoss(
  span: SeqSpan,
  drops: readonly Record<string, unknown>[],
): Omit<HostLoss, 'hostId' | 'at'> {
  const reported = union(drops.flatMap(reportedRanges));
  const missing = size(span.gaps);
  const unreported = subtract(span.gaps, reported);
  const leading = span.oldest !== null && span.oldest > 1 ? [[1, span.oldest - 1] as Range] : [];
  const beforeOldest = subtract(unreported, subtract(unreported, leading));
  const unexplained = subtract(unreported, leading);
  // Reported seqs at or below the newest stored one that are not gaps were stored after all.
  const reportedKnown = span.newest === null ? [] : subtract(reported, [[span.newest + 1, Number.MAX_SAFE_INTEGER]]);
  return {
    oldestSeq: span.oldest,
    newestSeq: span.newest,
    stored: span.stored,
    missing,
    explained: missing - size(unreported),
    unexplained: size(unexplained),
    beforeOldest: size(beforeOldest),
    unexplainedRanges: unexplained.slice(0, MAX_LISTED),
    dropEvents: drops.length,
    reported: size(reported),
    reportedButStored: size(subtract(reportedKnown, span.gaps)),
    truncated: span.truncated,
  };
}
