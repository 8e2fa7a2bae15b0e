/** Pure parser of pressure stall information (/proc/pressure/{cpu,memory,io}). */
import type { Pressure } from '../types.ts';

/** Parses "some avg10=… avg60=… avg300=… total=…" and the optional "full …" line. */
export function parsePressure(text: string): Pressure {
  const lines: Record<string, Record<string, number>> = {};
  for (const line of text.split('\n')) {
    const [kind, ...kv] = line.trim().split(/\s+/);
    if (kind !== 'some' && kind !== 'full') continue;
    lines[kind] = Object.fromEntries(
      kv.map((p) => {
        const [k, v] = p.split('=');
        return [k, Number(v)];
      }),
    );
  }
  const some = lines.some;
  if (!some || some.avg10 === undefined) throw new Error('pressure file has no "some" line');
  const full = lines.full;
  return {
    someAvg10: some.avg10,
    someAvg60: some.avg60 ?? 0,
    someTotalUs: some.total ?? 0,
    fullAvg10: full?.avg10 ?? null,
    fullTotalUs: full?.total ?? null,
  };
}
