/**
 * The fleet population the correlator compares affected hosts against: how many hosts exist and how many carry each
 * attribute value. In-memory index, updated by the shell as hosts enroll, change inventory or leave.
 */

/** Host attributes: labels plus flattened inventory and versions, e.g. { rack: 'r7', 'inventory.diskFirmware': 'CS02' }. */
export type HostAttributes = Readonly<Record<string, string>>;

/** Read side used by the correlator. */
export interface Population {
  size(): number;
  count(key: string, value: string): number;
  /** Every (key, value) pair some host holds, with its count (the family of values a cause search could name). */
  values(): Iterable<readonly [key: string, value: string, count: number]>;
  attributes(hostId: string): HostAttributes | undefined;
}

/** Mutable in-memory population. */
export interface PopulationIndex extends Population {
  upsert(hostId: string, attrs: HostAttributes): void;
  remove(hostId: string): void;
}

/** Creates an index, optionally seeded with hosts. */
export function createPopulation(hosts: Iterable<[string, HostAttributes]> = []): PopulationIndex {
  const byHost = new Map<string, HostAttributes>();
  const counts = new Map<string, number>();
  const bump = (attrs: HostAttributes, d: number) => {
    for (const [k, v] of Object.entries(attrs)) {
      const key = `${k}\0${v}`;
      const n = (counts.get(key) ?? 0) + d;
      if (n <= 0) counts.delete(key);
      else counts.set(key, n);
    }
  };
  const index: PopulationIndex = {
    size: () => byHost.size,
    count: (k, v) => counts.get(`${k}\0${v}`) ?? 0,
    *values() {
      for (const [kv, n] of counts) {
        const cut = kv.indexOf('\0');
        yield [kv.slice(0, cut), kv.slice(cut + 1), n] as const;
      }
    },
    attributes: (id) => byHost.get(id),
    upsert(id, attrs) {
      const old = byHost.get(id);
      if (old) bump(old, -1);
      byHost.set(id, { ...attrs });
      bump(attrs, 1);
    },
    remove(id) {
      const old = byHost.get(id);
      if (old) {
        bump(old, -1);
        byHost.delete(id);
      }
    },
  };
  for (const [id, a] of hosts) index.upsert(id, a);
  return index;
}
