/**
 * Records published and not yet acked (or refused), and how many messages they were sent in. The link bounds both:
 * records (memory, replay size) and messages. The message bound is what batches under load: while acks are slow the
 * window stays full, new records wait in the outbox, and the next message carries all of them, so a busy control
 * plane gets fewer, larger messages (its cost is mostly per message) instead of one per record.
 */
export type InFlight = {
  /** Records in flight. */
  readonly size: number;
  /** Messages with at least one record still in flight. */
  readonly messages: number;
  /** One message with these records was published. */
  sent(seqs: readonly number[]): void;
  has(seq: number): boolean;
  /** The record left the window (acked, refused or dropped); false when it was not in flight. */
  delete(seq: number): boolean;
  clear(): void;
  [Symbol.iterator](): IterableIterator<number>;
};

export function createInFlight(): InFlight {
  /** seq → message number; message number → records of it still in flight. */
  const messageOf = new Map<number, number>();
  const left = new Map<number, number>();
  let next = 0;
  return {
    get size() {
      return messageOf.size;
    },
    get messages() {
      return left.size;
    },
    sent(seqs) {
      const m = next++;
      let n = 0;
      for (const s of seqs) {
        if (messageOf.has(s)) continue;
        messageOf.set(s, m);
        n++;
      }
      if (n > 0) left.set(m, n);
    },
    has: (seq) => messageOf.has(seq),
    delete(seq) {
      const m = messageOf.get(seq);
      if (m === undefined) return false;
      messageOf.delete(seq);
      const n = (left.get(m) ?? 1) - 1;
      if (n <= 0) left.delete(m);
      else left.set(m, n);
      return true;
    },
    clear() {
      messageOf.clear();
      left.clear();
    },
    [Symbol.iterator]: () => messageOf.keys(),
  };
}
