/**
 * Anomaly alert episodes of a host as chart bands: `anomaly.started` (from its `startedAt`) to the next
 * `anomaly.ended`; an episode that started before the window begins at the window's start, one still on ends at the
 * window's end. Pure: events in, [from, to] pairs in seconds out.
 */
export type AlertEventLike = { ts: number; type: string; data: Record<string, unknown> };

export function alertBands(events: readonly AlertEventLike[], since: number, until: number): [number, number][] {
  const sorted = [...events].sort((a, b) => a.ts - b.ts);
  const bands: [number, number][] = [];
  let open: number | null = null;
  for (const e of sorted) {
    if (e.type === 'anomaly.started') {
      if (open === null) open = typeof e.data.startedAt === 'number' ? e.data.startedAt : e.ts;
    } else if (e.type === 'anomaly.ended') {
      bands.push([open ?? since, e.ts]);
      open = null;
    }
  }
  if (open !== null) bands.push([open, until]);
  return bands
    .map(([a, b]): [number, number] => [Math.max(a, since), Math.min(b, until)])
    .filter(([a, b]) => b >= a)
    .map(([a, b]) => [a / 1000, b / 1000]);
}
