/** The link that shows host `id`'s charts over `range` centred on the moment `at` (ms), as the host page reads it. */
export function hostChartLink(id: string, at: number, range = '1h'): string {
  return `/hosts/${encodeURIComponent(id)}?range=${range}&at=${Math.round(at)}`;
}
