/**
 * Test helper: a real Aedes broker on 127.0.0.1 plus a minimal "ingest" subscriber that records what agents publish
 * and can ack it over the real command topic. Used by link and agent unit tests (not shipped code paths).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { commandTopic } from '../../contract/protocol/index.ts';

export type TestBroker = {
  url: string;
  port: number;
  broker: Aedes;
  /** Stops accepting and drops every connection (a crash, from the agent's point of view). */
  kill(): Promise<void>;
  /** Listens again on the same port. */
  revive(): Promise<void>;
  close(): Promise<void>;
};

export async function startTestBroker(port = 0): Promise<TestBroker> {
  let broker = await Aedes.createBroker();
  let server: Server;
  const sockets = new Set<Socket>();
  const listen = (p: number) =>
    new Promise<number>((resolve, reject) => {
      server = createServer((s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        broker.handle(s);
      });
      server.once('error', reject);
      server.listen(p, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
    });
  const actualPort = await listen(port);
  const t: TestBroker = {
    url: `mqtt://127.0.0.1:${actualPort}`,
    port: actualPort,
    broker,
    async kill() {
      await new Promise<void>((r) => {
        server.close(() => r());
        for (const s of sockets) s.destroy();
      });
      await new Promise<void>((r) => broker.close(() => r()));
    },
    async revive() {
      broker = await Aedes.createBroker();
      t.broker = broker;
      await listen(actualPort);
    },
    async close() {
      await t.kill().catch(() => undefined);
    },
  };
  return t;
}

/** A subscriber that stands in for the control-plane ingest: records messages and optionally acks every seq. */
export async function startIngest(url: string, agentId: string, options: { autoAck: boolean }) {
  const client: MqttClient = await mqtt.connectAsync(url, {
    clientId: `ingest-${Math.random().toString(16).slice(2)}`,
    reconnectPeriod: 100,
  });
  const messages: { topic: string; body: any; retain: boolean }[] = [];
  const seqs: number[] = [];
  const ack = (ranges: [number, number][]) =>
    client.publishAsync(commandTopic(agentId), JSON.stringify({ v: 1, type: 'ack', ranges }), { qos: 1 });
  client.on('message', (topic, payload, packet) => {
    const body = JSON.parse(payload.toString());
    messages.push({ topic, body, retain: packet.retain });
    const items: { seq: number }[] = body.samples ?? body.events ?? [];
    if (items.length === 0) return;
    for (const i of items) seqs.push(i.seq);
    if (options.autoAck) void ack(items.map((i) => [i.seq, i.seq] as [number, number]));
  });
  await client.subscribeAsync(`homeostat/v1/agents/${agentId}/#`, { qos: 1 });
  return { client, messages, seqs, ack, close: () => client.endAsync() };
}

/** Polls `cond` every 10 ms until true or `ms` elapse (bounded wait for real-I/O tests). */
export async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
