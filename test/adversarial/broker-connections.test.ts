/**
 * M5: the broker's listeners cap connections (total and per address) and close a connection that sends no CONNECT
 * (or, on the WebSocket port, no upgrade) within `broker.connectTimeout`. Raw sockets that never speak MQTT.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { connectAgent, enroll, startTestControlPlane, type TestControlPlane } from '../support/control-plane.ts';
import { loadServerConfig } from '../../control-plane/config/server-config.ts';
import { ValidationError } from '../../contract/errors.ts';

let t: TestControlPlane;
before(async () => {
  t = await startTestControlPlane({
    broker: { maxConnections: 12, maxConnectionsPerAddress: 4, connectTimeout: '1s' },
  });
});
after(async () => {
  await t?.close();
});

const portOf = (url: string) => Number(new URL(url).port);

/** Opens a raw TCP connection and resolves once connected; `closed` resolves with the time it closed. */
function raw(port: number): Promise<{ socket: Socket; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const closed = new Promise<number>((r) => socket.once('close', () => r(Date.now())));
    socket.on('error', () => {});
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}

const within = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([
    p,
    new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`${what}: not within ${ms} ms`)), ms)),
  ]);

describe('M5: broker connection caps and CONNECT timeout', () => {
  it('a TCP connection that never sends CONNECT is closed after the timeout', async () => {
    const t0 = Date.now();
    const { closed } = await raw(portOf(t.urls.mqttUrl));
    const at = await within(closed, 20_000, 'idle TCP connection closed');
    assert.ok(at - t0 >= 900, `closed after ${at - t0} ms, not before the timeout`);
  });

  it('a WebSocket-port connection that never upgrades is closed too', async () => {
    const { closed } = await raw(portOf(t.urls.wsUrl));
    await within(closed, 20_000, 'idle WebSocket-port connection closed');
  });

  it('beyond the per-address cap, connections are closed at once and counted; agents connect again afterwards', async () => {
    const port = portOf(t.urls.mqttUrl);
    const held = await Promise.all(Array.from({ length: 4 }, () => raw(port)));
    const extra = await raw(port);
    await within(extra.closed, 5_000, 'the fifth connection from one address closed at once');
    assert.ok((t.cp.counters.get('broker.connections.refused.per-address-cap') ?? 0) >= 1);
    // The held ones time out (no CONNECT); then a real agent gets in.
    await within(Promise.all(held.map((h) => h.closed)), 20_000, 'held connections closed by the CONNECT timeout');
    const e = await enroll(t, 'after-cap');
    const c = await connectAgent(e.mqttUrl, e.agentId, e.secret);
    await c.endAsync();
  });

  it('configuration is validated with the allowed ranges', () => {
    assert.throws(
      () => loadServerConfig({ overrides: { broker: { maxConnections: 0, connectTimeout: '10m' } }, env: {} }),
      (err: unknown) => {
        assert.ok(err instanceof ValidationError);
        assert.match(err.message, /broker\.maxConnections must be an integer 1\.\.1000000/);
        assert.match(err.message, /broker\.connectTimeout must be a duration from 1s to 2m/);
        return true;
      },
    );
  });
});
