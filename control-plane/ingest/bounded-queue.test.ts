import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createBoundedQueue } from './bounded-queue.ts';

describe('bounded queue reservations', () => {
  it('a wake-up reserves room for waiters in arrival order and never lets in more than fits', async () => {
    const q = createBoundedQueue<string>(3);
    assert.ok(q.offer('a', 1) && q.offer('b', 1) && q.offer('c', 1));
    assert.equal(q.tryReserve(1), false);
    const order: string[] = [];
    const waits = ['w1', 'w2', 'w3'].map((w) => q.waitForRoom(1, 5000).then((ok) => (order.push(w), ok)));
    assert.equal(q.waiting, 3);
    q.take(2); // room for two: w1 and w2 get it reserved, w3 keeps waiting
    assert.equal(q.reserved, 2);
    assert.equal(q.waiting, 1);
    assert.equal(q.offer('x', 1), false, 'reserved room is not free room');
    assert.equal(q.tryReserve(1), false, 'a newcomer does not jump the queue of waiters');
    assert.ok(q.offer('w1', 1, 1), 'an offer uses its own reservation');
    assert.equal(q.reserved, 1);
    q.release(1); // w2 drops its item: w3 gets the room
    assert.equal(q.reserved, 1);
    assert.equal(q.waiting, 0);
    assert.deepEqual(await Promise.all(waits), [true, true, true]);
    assert.deepEqual(order, ['w1', 'w2', 'w3']);
  });

  it('times out without a reservation, and close answers every waiter', async () => {
    const q = createBoundedQueue<string>(1);
    q.offer('a', 1);
    assert.equal(await q.waitForRoom(1, 20), false);
    assert.equal(q.reserved, 0);
    const w = q.waitForRoom(1, 5000);
    q.close();
    assert.equal(await w, false);
  });

  it('a lower limit offers less room; raising it wakes waiters', async () => {
    const q = createBoundedQueue<string>(10);
    q.setLimit(2);
    assert.ok(q.offer('a', 1) && q.offer('b', 1));
    assert.equal(q.offer('c', 1), false);
    const w = q.waitForRoom(1, 5000);
    q.setLimit(3);
    assert.equal(await w, true);
    q.setLimit(100);
    assert.equal(q.limit, 10, 'never above capacity');
  });
});
