/** Line diff (LCS) between two texts, for showing what changed between policy versions. */
export type DiffLine = { op: ' ' | '+' | '-'; text: string };

/** Diffs `a` → `b` line by line. Quadratic in lines; policy documents are small (guarded at 4,000 lines). */
export function lineDiff(a: string, b: string): DiffLine[] {
  const x = a.split('\n');
  const y = b.split('\n');
  if (x.length * y.length > 16_000_000)
    return [...x.map((t) => ({ op: '-' as const, text: t })), ...y.map((t) => ({ op: '+' as const, text: t }))];
  const m = x.length;
  const n = y.length;
  const l = Array.from({ length: m + 1 }, () => new Uint32Array(n + 1));
  for (let i = m - 1; i >= 0; i--)
    for (let j = n - 1; j >= 0; j--)
      l[i]![j] = x[i] === y[j] ? l[i + 1]![j + 1]! + 1 : Math.max(l[i + 1]![j]!, l[i]![j + 1]!);
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < m && j < n) {
    if (x[i] === y[j]) {
      out.push({ op: ' ', text: x[i]! });
      i++;
      j++;
    } else if (l[i + 1]![j]! >= l[i]![j + 1]!) out.push({ op: '-', text: x[i++]! });
    else out.push({ op: '+', text: y[j++]! });
  }
  while (i < m) out.push({ op: '-', text: x[i++]! });
  while (j < n) out.push({ op: '+', text: y[j++]! });
  return out;
}
