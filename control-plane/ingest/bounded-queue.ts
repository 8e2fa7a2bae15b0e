/**
 * A bounded FIFO measured in weight (samples, not messages). Producers `offer` (false = full, the caller sheds) or
 * `waitForRoom`; the single consumer `take`s up to a weight budget and `waitForItems`.
 */
export type BoundedQueue<T> = {
  readonly capacity: number;
  /** Current total weight. */
  readonly depth: number;
  offer(item: T, weight: number): boolean;
  /** Resolves true once `weight` fits, false after timeoutMs (or on close). */
  waitForRoom(weight: number, timeoutMs: number): Promise<boolean>;
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
  let closed = false;
  let itemWaiter: (() => void) | null = null;
  const roomWaiters = new Set<{ weight: number; resolve: (ok: boolean) => void; timer: NodeJS.Timeout }>();

  const wakeRoom = () => {
    for (const w of roomWaiters) {
      if (depth + w.weight > capacity) break;
      roomWaiters.delete(w);
      clearTimeout(w.timer);
      w.resolve(true);
    }
  };
  return {
    capacity,
    get depth() {
      return depth;
    },
    offer(item, weight) {
      if (closed || depth + weight > capacity) return false;
      items.push({ item, weight });
      depth += weight;
      if (itemWaiter) {
        const w = itemWaiter;
        itemWaiter = null;
        w();
      }
      return true;
    },
    waitForRoom(weight, timeoutMs) {
      if (!closed && depth + weight <= capacity) return Promise.resolve(true);
      if (closed) return Promise.resolve(false);
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
