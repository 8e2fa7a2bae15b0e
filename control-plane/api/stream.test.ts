import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEventBus, streamRoutes, type StreamTimers } from './stream.ts';

/** Manual timers: tick() runs every interval callback once. */
function manualTimers(): StreamTimers & { tick(): void } {
  const fns = new Map<number, () => void>();
  let next = 1;
  return {
    setInterval(fn) {
      const id = next++;
      fns.set(id, fn);
      return id;
    },
    clearInterval(h) {
      fns.delete(h as number);
    },
    tick() {
      for (const fn of [...fns.values()]) fn();
    },
  };
}

/** Reads SSE messages from a response body until `count` named events were seen. */
async function readEvents(res: Response, count: number): Promise<{ event: string; data: unknown }[]> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const out: { event: string; data: unknown }[] = [];
  let buf = '';
  while (out.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data !== undefined) out.push({ event, data: JSON.parse(data) });
    }
  }
  await reader.cancel();
  return out;
}

test('streams typed events and coalesces samples to the latest per host', async () => {
  const bus = createEventBus();
  const timers = manualTimers();
  const app = streamRoutes({ bus, timers });
  const res = await app.request('/');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/event-stream');
  const reading = readEvents(res, 3);
  await new Promise((r) => setImmediate(r));
  assert.equal(bus.listeners, 1);
  bus.publish({ type: 'sample', hostId: 'web-01', ts: 1, features: { cpu: 0.1 }, anomaly: 0.1 });
  bus.publish({ type: 'sample', hostId: 'web-01', ts: 2, features: { cpu: 0.2 }, anomaly: 0.2 });
  bus.publish({ type: 'presence', hostId: 'web-02', state: 'offline', ts: 3 });
  timers.tick();
  const events = await reading;
  assert.equal(events[0]!.event, 'hello');
  assert.deepEqual(events[1], {
    event: 'presence',
    data: { type: 'presence', hostId: 'web-02', state: 'offline', ts: 3 },
  });
  assert.deepEqual(events[2], {
    event: 'samples',
    data: { samples: [{ type: 'sample', hostId: 'web-01', ts: 2, features: { cpu: 0.2 }, anomaly: 0.2 }] },
  });
});

test('a host-focused stream receives every sample of that host', async () => {
  const bus = createEventBus();
  const app = streamRoutes({ bus, timers: manualTimers() });
  const res = await app.request('/?host=db-07');
  const reading = readEvents(res, 3);
  await new Promise((r) => setImmediate(r));
  bus.publish({ type: 'sample', hostId: 'web-01', ts: 1, features: {}, anomaly: null });
  bus.publish({ type: 'sample', hostId: 'db-07', ts: 2, features: { temp: 50 }, anomaly: 0.5 });
  bus.publish({ type: 'sample', hostId: 'db-07', ts: 3, features: { temp: 51 }, anomaly: 0.6 });
  const events = await reading;
  assert.deepEqual(
    events.slice(1).map((e) => [e.event, (e.data as { ts: number }).ts]),
    [
      ['sample', 2],
      ['sample', 3],
    ],
  );
});

test('a slow client gets an overflow notice instead of unbounded buffering', async () => {
  const bus = createEventBus();
  const app = streamRoutes({ bus, timers: manualTimers(), maxQueue: 5 });
  const res = await app.request('/');
  await new Promise((r) => setImmediate(r));
  for (let i = 0; i < 50; i++)
    bus.publish({ type: 'action', hostId: 'h-1', action: 'restart', outcome: 'succeeded', ts: i });
  const events = await readEvents(res, 7);
  assert.ok(
    events.some((e) => e.event === 'overflow'),
    JSON.stringify(events.map((e) => e.event)),
  );
  assert.ok(events.filter((e) => e.event === 'action').length <= 6);
});

test('closing the stream unsubscribes from the bus', async () => {
  const bus = createEventBus();
  const app = streamRoutes({ bus, timers: manualTimers() });
  const res = await app.request('/');
  await readEvents(res, 1);
  for (let i = 0; i < 100 && bus.listeners > 0; i++) {
    bus.publish({ type: 'host', hostId: 'x', ts: i });
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(bus.listeners, 0);
});
