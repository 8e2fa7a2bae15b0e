/**
 * A manual clock + timers for unit tests that also do real I/O (so global timers stay real for mqtt/sockets).
 */
import type { Timers } from '../link/backoff.ts';

export type FakeClock = {
  now(): number;
  timers: Timers;
  advance(ms: number): void;
  pending(): number;
  dueTimes(): number[];
};

export function createFakeClock(start = 1_700_000_000_000): FakeClock {
  let now = start;
  let nextId = 1;
  const queue = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    timers: {
      setTimeout: (fn, ms) => {
        const id = nextId++;
        queue.set(id, { at: now + Math.max(0, ms), fn });
        return id;
      },
      clearTimeout: (id) => void queue.delete(id as number),
    },
    /** Moves time forward, firing due timers in time order (including ones scheduled while advancing). */
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = [...queue.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        queue.delete(due[0]);
        now = Math.max(now, due[1].at);
        due[1].fn();
      }
      now = end;
    },
    pending: () => queue.size,
    /** When the pending timers are due (to wait until a real-I/O callback has scheduled its next timer). */
    dueTimes: () => [...queue.values()].map((t) => t.at),
  };
}
