import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createWriteCoalescer, type CoalescerTimers } from './write-coalescer.ts';

/** A real Writable that records each batch it is handed (one `writev` system call on a socket). */
function recorder() {
  const batches: string[][] = [];
  const stream = new Writable({
    writev(chunks, cb) {
      batches.push(chunks.map((c) => String(c.chunk)));
      cb();
    },
    write(chunk, _enc, cb) {
      batches.push([String(chunk)]);
      cb();
    },
  });
  return { stream, batches };
}

/** Timers driven by the test: `fire()` runs what is due. */
function manualTimers() {
  let due: (() => void)[] = [];
  const timers: CoalescerTimers = {
    setTimeout: (fn) => {
      due.push(fn);
      return fn;
    },
    clearTimeout: (h) => {
      due = due.filter((f) => f !== h);
    },
  };
  return {
    timers,
    fire() {
      const now = due;
      due = [];
      for (const f of now) f();
    },
  };
}

const settle = () => new Promise((r) => setImmediate(r));

test('writes between hold and release leave in one batch', async () => {
  const { stream, batches } = recorder();
  const w = createWriteCoalescer({ maxHoldMs: 100 });
  w.hold(stream);
  stream.write('puback');
  await settle();
  assert.deepEqual(batches, []);
  stream.write('ack');
  w.release(stream);
  await settle();
  assert.deepEqual(batches, [['puback', 'ack']]);
  assert.equal(w.held, 0);
  w.release(stream); // not held: no-op (an uncork too many would be harmless, but is not made)
  stream.write('next');
  await settle();
  assert.deepEqual(batches, [['puback', 'ack'], ['next']]);
});

test('a hold is released after at most maxHoldMs when no ack comes', async () => {
  const { stream, batches } = recorder();
  const t = manualTimers();
  const w = createWriteCoalescer({ maxHoldMs: 100, timers: t.timers });
  w.hold(stream);
  stream.write('puback');
  t.fire(); // first half: the hold moves to the older generation
  await settle();
  assert.deepEqual(batches, []);
  t.fire(); // second half: released
  await settle();
  assert.deepEqual(batches, [['puback']]);
  assert.equal(w.held, 0);
});

test('holding a held stream corks it once; releaseAll writes everything', async () => {
  const a = recorder();
  const b = recorder();
  const t = manualTimers();
  const w = createWriteCoalescer({ maxHoldMs: 100, timers: t.timers });
  w.hold(a.stream);
  w.hold(a.stream);
  w.hold(b.stream);
  a.stream.write('1');
  b.stream.write('2');
  w.release(a.stream); // one release is enough: it was corked once
  await settle();
  assert.deepEqual(a.batches, [['1']]);
  w.releaseAll();
  await settle();
  assert.deepEqual(b.batches, [['2']]);
  assert.equal(w.held, 0);
});

test('a destroyed stream is not held', () => {
  const { stream } = recorder();
  stream.destroy();
  const w = createWriteCoalescer({ maxHoldMs: 100 });
  w.hold(stream);
  assert.equal(w.held, 0);
});
