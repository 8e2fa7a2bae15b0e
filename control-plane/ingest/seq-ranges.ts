/** Compresses seqs into sorted inclusive ranges, e.g. [3,1,2,7] → [[1,3],[7,7]]; split into chunks of `maxRanges`. */
export function toRanges(seqs: Iterable<number>, maxRanges = 1000): [number, number][][] {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  const ranges: [number, number][] = [];
  for (const s of sorted) {
    const last = ranges.at(-1);
    if (last && s === last[1] + 1) last[1] = s;
    else ranges.push([s, s]);
  }
  const chunks: [number, number][][] = [];
  for (let i = 0; i < ranges.length; i += maxRanges) chunks.push(ranges.slice(i, i + maxRanges));
  return chunks;
}
