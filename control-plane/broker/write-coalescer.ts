/**
 * Coalesces an agent's PUBACKs with the `ack` command that follows them: one socket write (one `writev` system call,
 * one TCP segment) instead of one per packet. When the broker admits a telemetry/events message it *holds* the
 * client's socket (`cork()`, Node's documented stream API on the socket we handed to Aedes): the PUBACK Aedes writes
 * next is buffered; when the message's ack command has been written, the broker *releases* the socket (`uncork()`) and
 * both leave in one write. Reads are not affected (backpressure is unchanged); only the PUBACK waits, for the commit,
 * which is when the ack would come anyway. A hold that sees no ack (a shed message refused with `busy` also releases;
 * an unreadable payload, a crash of the writer) ends after at most `maxHoldMs`, so PINGRESPs, SUBACKs and commands to
 * the agent are never delayed by more than that.
 *
 * One shared timer, not one per hold: held sockets sit in two generations; every `maxHoldMs / 2` the older generation
 * is released and the newer one becomes older.
 */

/** The part of a stream the coalescer uses (a `net.Socket`, a `tls.TLSSocket`). */
export type Corkable = { cork(): void; uncork(): void; readonly destroyed: boolean };

export type WriteCoalescer = {
  /** Buffers the stream's writes until `release` or at most `maxHoldMs`; no-op when already held or destroyed. */
  hold(stream: Corkable): void;
  /** Writes what the stream buffered since `hold` (no-op when not held). */
  release(stream: Corkable | undefined): void;
  /** Releases every held stream (before closing the broker). */
  releaseAll(): void;
  /** Streams held now. */
  readonly held: number;
};

export type CoalescerTimers = {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
};

const realTimers: CoalescerTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export function createWriteCoalescer(opts: { maxHoldMs: number; timers?: CoalescerTimers }): WriteCoalescer {
  const timers = opts.timers ?? realTimers;
  const period = Math.max(1, opts.maxHoldMs / 2);
  let newer = new Set<Corkable>();
  let older = new Set<Corkable>();
  let timer: unknown = null;

  const uncorkAll = (set: Set<Corkable>) => {
    for (const s of set) s.uncork();
    set.clear();
  };
  const tick = () => {
    timer = null;
    uncorkAll(older);
    [older, newer] = [newer, older];
    if (older.size > 0) timer = timers.setTimeout(tick, period);
  };

  return {
    hold(stream) {
      if (stream.destroyed || newer.has(stream) || older.has(stream)) return;
      stream.cork();
      newer.add(stream);
      timer ??= timers.setTimeout(tick, period);
    },
    release(stream) {
      if (stream && (newer.delete(stream) || older.delete(stream))) stream.uncork();
    },
    releaseAll() {
      uncorkAll(older);
      uncorkAll(newer);
      if (timer !== null) timers.clearTimeout(timer);
      timer = null;
    },
    get held() {
      return newer.size + older.size;
    },
  };
}
