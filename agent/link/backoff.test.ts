import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, createRetrier, type Timers } from './backoff.ts';
import { seededRandom } from '../../contract/seeded-random.ts';

const fakeTimers = (): Timers => ({
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
});

describe('backoffDelay', () => {
  it('is random() times min(cap, base * 2^attempt)', () => {
    assert.equal(backoffDelay(0, { baseMs: 100, capMs: 1000, random: () => 0.5 }), 50);
    assert.equal(backoffDelay(3, { baseMs: 100, capMs: 1000, random: () => 0.5 }), 400);
    assert.equal(backoffDelay(10, { baseMs: 100, capMs: 1000, random: () => 0.999 }), 999);
    assert.equal(backoffDelay(10_000, { baseMs: 100, capMs: 1000, random: () => 1 - 1e-9 }), 999);
    assert.equal(backoffDelay(5, { random: () => 0 }), 0);
  });
});

describe('createRetrier with fake timers', () => {
  it('spreads a fleet that lost the broker at the same instant over the backoff window', () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    try {
      const agents = 200;
      const attempts: number[][] = Array.from({ length: agents }, () => []);
      const retriers = Array.from({ length: agents }, (_, i) => {
        const r = createRetrier({
          baseMs: 1000,
          capMs: 8000,
          random: seededRandom(i + 1),
          timers: fakeTimers(),
          attempt: () => {
            attempts[i]!.push(Date.now());
            r.failed(); // the broker is still down
          },
        });
        return r;
      });
      for (const r of retriers) r.failed();
      for (let t = 0; t < 60_000; t += 100) mock.timers.tick(100);
      // Every agent keeps retrying and no gap exceeds the cap.
      for (const a of attempts) {
        assert.ok(a.length >= 8, `only ${a.length} attempts`);
        for (const [k, t] of a.entries())
          assert.ok(t - (k ? a[k - 1]! : 0) <= 8000 + 100, `gap ${t - (k ? a[k - 1]! : 0)}`); // +100: tick granularity
      }
      // First retries spread over [0, 1000): no 100 ms bucket holds more than 25% of the fleet.
      const buckets = new Map<number, number>();
      for (const a of attempts) buckets.set(Math.floor(a[0]! / 100), (buckets.get(Math.floor(a[0]! / 100)) ?? 0) + 1);
      assert.ok(Math.max(...buckets.values()) <= agents * 0.25, JSON.stringify([...buckets]));
      assert.ok(buckets.size >= 8);
      // Later attempts (capped window) also spread: at attempt 6 the fleet covers most of [0, 8000) in relative delay.
      const sixth = attempts.map((a) => a[6]! - a[5]!);
      assert.ok(Math.max(...sixth) - Math.min(...sixth) > 6000);
      for (const r of retriers) r.stop();
    } finally {
      mock.timers.reset();
    }
  });

  it('reset() restarts the exponent and stop() cancels the pending attempt', () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    try {
      let calls = 0;
      const r = createRetrier({
        baseMs: 1000,
        capMs: 60_000,
        random: () => 0.99,
        timers: fakeTimers(),
        attempt: () => calls++,
      });
      assert.equal(r.failed(), 990);
      assert.equal(r.failed(), 1980);
      assert.equal(r.failed(), 3960);
      r.reset();
      assert.equal(r.failed(), 990);
      mock.timers.tick(989);
      assert.equal(calls, 0);
      mock.timers.tick(1);
      assert.equal(calls, 1);
      r.failed();
      r.stop();
      mock.timers.tick(100_000);
      assert.equal(calls, 1);
    } finally {
      mock.timers.reset();
    }
  });
});
