/** Named monotonic counters (e.g. `broker.refused.bad-secret`) for /metrics and tests. */
export type Counters = {
  inc(name: string, by?: number): void;
  get(name: string): number;
  /** A copy of every counter, sorted by name. */
  snapshot(): Record<string, number>;
};

export function createCounters(): Counters {
  const values = new Map<string, number>();
  return {
    inc(name, by = 1) {
      values.set(name, (values.get(name) ?? 0) + by);
    },
    get: (name) => values.get(name) ?? 0,
    snapshot: () => Object.fromEntries([...values.entries()].sort(([a], [b]) => a.localeCompare(b))),
  };
}
