/**
 * A bounded FIFO measured in weight (samples, not messages). Producers `offer` (false = full, the caller sheds) or
 * reserve room first (`tryReserve`, or `waitForRoom`, whose waiters are served in arrival order and each get their
 * weight reserved, so a wake-up never lets more in than fits), then `offer` with that reservation (or `release` it).
 * The single consumer `take`s up to a weight budget and `waitForItems`.
 */
export type BoundedQueue<T> = {
  readonly capacity: number;
  /** The room offered now (at most `capacity`): lowered by the consumer to bound how long an item waits inside. */
  readonly limit: number;
  setLimit(weight: number): void;
  /** Current total weight. */
  readonly depth: number;
  /** Weight reserved by producers that have not offered yet. */
  readonly reserved: number;
  /** Producers waiting for room. */
  readonly waiting: number;
  /** Enqueues when it fits; `fromReservation` (weight reserved earlier by this producer) is used up on success. */
  offer(item: T, weight: number, fromReservation?: number): boolean;
  /** Reserves `weight` now when it fits (and nobody waits before it); false otherwise. */
  tryReserve(weight: number): boolean;
  /** Resolves true once `weight` fits, with it reserved (the caller must `release` it); false after timeoutMs or on close. */
  waitForRoom(weight: number, timeoutMs: number): Promise<boolean>;
  /** Gives a reservation back unused (the item was dropped, or `offer` with it failed). */
  release(weight: number): void;
  /** Removes items in order until `maxWeight` would be exceeded (always at least one item when non-empty). */
  take(maxWeight: number): T[];
  /** Resolves when the queue is non-empty (or closed). */
  waitForItems(): Promise<void>;
  close(): void;
};

export function createBoundedQueue<T>(capacity: number): BoundedQueue<T> {
  const items: { item: T; weight: number }[] = [];
  let head = 0;
  let depth = 0;
  let reserved = 0;
  let limit = capacity;
  let closed = false;
  let itemWaiter: (() => void) | null = null;
  const roomWaiters = new Set<{ weight: number; resolve: (ok: boolean) => void; timer: NodeJS.Timeout }>();

  const fits = (weight: number) => depth + reserved + weight <= limit;
  const wakeRoom = () => {
    for (const w of roomWaiters) {
      if (!fits(w.weight)) break;
      roomWaiters.delete(w);
      clearTimeout(w.timer);
      reserved += w.weight;
      w.resolve(true);
    }
  };
  return {
    capacity,
    get depth() {
      return depth;
    },
    get reserved() {
      return reserved;
    },
    get limit() {
      return limit;
    },
    setLimit(weight) {
      const was = limit;
      limit = Math.max(1, Math.min(capacity, Math.round(weight)));
      if (limit > was) wakeRoom();
    },
    get waiting() {
      return roomWaiters.size;
    },
    offer(item, weight, fromReservation = 0) {
      const mine = Math.min(fromReservation, reserved);
      if (closed || depth + reserved - mine + weight > limit) return false;
      items.push({ item, weight });
      depth += weight;
      reserved -= mine;
      if (itemWaiter) {
        const w = itemWaiter;
        itemWaiter = null;
        w();
      }
      return true;
    },
    tryReserve(weight) {
      if (closed || roomWaiters.size > 0 || !fits(weight)) return false;
      reserved += weight;
      return true;
    },
    release(weight) {
      reserved = Math.max(0, reserved - weight);
      wakeRoom();
    },
    waitForRoom(weight, timeoutMs) {
      if (closed) return Promise.resolve(false);
      if (roomWaiters.size === 0 && fits(weight)) {
        reserved += weight;
        return Promise.resolve(true);
      }
      return new Promise((resolve) => {
        const w = {
          weight,
          resolve,
          timer: setTimeout(() => {
            roomWaiters.delete(w);
            resolve(false);
          }, timeoutMs),
        };
        roomWaiters.add(w);
      });
    },
    take(maxWeight) {
      const out: T[] = [];
      let taken = 0;
      while (head < items.length) {
        const next = items[head]!;
        if (out.length > 0 && taken + next.weight > maxWeight) break;
        out.push(next.item);
        taken += next.weight;
        head++;
      }
      depth -= taken;
      if (head > 1024 && head * 2 > items.length) {
        items.splice(0, head);
        head = 0;
      }
      wakeRoom();
      return out;
    },
    waitForItems() {
      if (closed || head < items.length) return Promise.resolve();
      return new Promise((resolve) => {
        itemWaiter = resolve;
      });
    },
    close() {
      closed = true;
      if (itemWaiter) {
        const w = itemWaiter;
        itemWaiter = null;
        w();
      }
      for (const w of roomWaiters) {
        clearTimeout(w.timer);
        w.resolve(false);
      }
      roomWaiters.clear();
    },
  };
}
