/**
 * The in-process MQTT broker: Aedes behind a TCP (or TLS) listener and a WebSocket listener.
 *
 * Agent messages never go through Aedes routing: the `authorizePublish` hook checks the ACL, validates the payload
 * and hands it to ingest (waiting up to `maxWaitMs` for queue room — the client's socket is not read meanwhile, which
 * is real TCP backpressure — then shedding, counted). Aedes' mqemitter short-circuits agent topics, so no unbounded
 * routing queue can build up (Aedes itself acks QoS 1 before routing and has no backpressure of its own).
 */
import { createServer as createNetServer, type Server as NetServer, type AddressInfo } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { Aedes, type Client, type PublishPacket, type AuthenticateError } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { Logger } from 'pino';
import { TOPIC_ROOT, commandTopic, type Command } from '../../contract/protocol/index.ts';
import type { Counters } from '../metrics/counters.ts';
import type { Ingester } from '../ingest/ingester.ts';
import type { Authenticator } from './authenticate.ts';
import { authorizeAgentPublish, authorizeAgentSubscribe, decodeAgentPayload } from './authorize.ts';

export type BrokerOptions = {
  host: string;
  mqttPort: number;
  wsPort: number;
  tls?: { cert: string; key: string } | undefined;
  authenticator: Authenticator;
  ingester: Ingester;
  counters: Counters;
  log: Logger;
  /** How long a publish may wait for ingest queue room before it is shed (default 2000 ms). */
  maxWaitMs?: number;
};

export type Broker = {
  readonly aedes: Aedes;
  /** Starts both listeners; returns their URLs (ephemeral ports resolved). */
  listen(): Promise<{ mqttUrl: string; wsUrl: string }>;
  /** Publishes a command (QoS 1) to one agent. */
  publishCommand(agentId: string, command: Command): Promise<void>;
  /** Disconnects an agent's session now (revocation). */
  disconnect(agentId: string): Promise<void>;
  /** Stops accepting connections (listeners closed; existing sessions stay until close()). */
  stopAccepting(): Promise<void>;
  close(): Promise<void>;
};

const AGENT_PREFIX = `${TOPIC_ROOT}/agents/`;

export async function createBroker(opts: BrokerOptions): Promise<Broker> {
  const { counters, ingester, authenticator, log } = opts;
  const maxWaitMs = opts.maxWaitMs ?? 2000;
  const identity = new WeakMap<Client, string | null>();

  const aedes = await Aedes.createBroker({
    maxClientsIdLength: 64,
    maxTopicLevels: 8,
    heartbeatInterval: 3_600_000,
    drainTimeout: 30_000,
    authenticate(client, username, password, done) {
      authenticator.authenticate(client.id, username, password).then((r) => {
        if (r.ok) { identity.set(client, r.agentId); return done(null, true); }
        log.warn({ clientId: client.id, reason: r.reason }, 'mqtt connection refused');
        const err = new Error(`authentication refused: ${r.reason}`) as AuthenticateError;
        err.returnCode = r.returnCode as AuthenticateError['returnCode'];
        done(err, false);
      }, (err: unknown) => {
        log.error({ err }, 'authenticate failed');
        const e = new Error('authentication unavailable') as AuthenticateError;
        e.returnCode = 3 as AuthenticateError['returnCode'];
        done(e, false);
      });
    },
    authorizePublish(client, packet, done) {
      if (client && identity.get(client) === null) return done(null); // internal client
      const agentId = client ? identity.get(client) : undefined;
      if (client && agentId === undefined) { counters.inc('broker.publish.refused.unauthenticated'); return done(new Error('not authenticated')); }
      // client === null: an old session's will published after a restart; only an agent topic is plausible.
      const who = agentId ?? packet.topic.split('/')[3] ?? '';
      const acl = authorizeAgentPublish(who, packet.topic);
      if (!acl.ok) {
        counters.inc(`broker.publish.refused.${acl.reason}`);
        log.warn({ agentId: who, topic: packet.topic, reason: acl.reason }, 'publish refused; disconnecting');
        return done(new Error(`publish to '${packet.topic}' refused: ${acl.reason}`));
      }
      const decoded = decodeAgentPayload(who, acl.kind, packet.payload as Buffer);
      if (!decoded.ok) {
        counters.inc(`broker.payload.rejected.${decoded.reason}`);
        log.warn({ agentId: who, topic: packet.topic, reason: decoded.reason, detail: decoded.detail }, 'payload rejected');
        // Accepted at the MQTT level (no reconnect loop), never stored; readable seqs are acked as rejected for good.
        if (decoded.seqs.length > 0) ingester.offer({ kind: 'reject', agentId: who, seqs: decoded.seqs });
        return done(null);
      }
      if (ingester.offer(decoded.item)) return done(null);
      counters.inc('broker.backpressure.waits');
      ingester.waitForRoom(decoded.item, maxWaitMs).then((room) => {
        if (!(room && ingester.offer(decoded.item))) counters.inc(`ingest.shed.${decoded.item.kind}`);
        done(null);
      }, () => done(null));
    },
    authorizeSubscribe(client, sub, done) {
      const agentId = identity.get(client);
      if (agentId === null) return done(null, sub);
      const acl = agentId === undefined ? { ok: false as const, reason: 'forbidden-filter' as const } : authorizeAgentSubscribe(agentId, sub.topic);
      if (!acl.ok) {
        counters.inc(`broker.subscribe.refused.${acl.reason}`);
        log.warn({ agentId, topic: sub.topic, reason: acl.reason }, 'subscribe refused');
        return done(null, null); // SUBACK 0x80 for this filter; the session stays up
      }
      done(null, sub);
    },
    // Agents never receive each other's messages (they cannot subscribe to them anyway); belt and braces.
    authorizeForward(_client, packet) {
      return packet.topic.startsWith(AGENT_PREFIX) ? null : packet;
    },
  });

  // Short-circuit routing of agent topics (see module doc): they were consumed in authorizePublish.
  const mq = (aedes as unknown as { mq: { emit(packet: { topic: string }, cb?: (err?: Error) => void): unknown } }).mq;
  const emit = mq.emit.bind(mq);
  mq.emit = (packet, cb) => {
    if (packet.topic.startsWith(AGENT_PREFIX)) { cb?.(); return mq; }
    return emit(packet, cb);
  };

  aedes.on('clientReady', (client) => {
    const agentId = identity.get(client);
    if (agentId) ingester.offer({ kind: 'presence', agentId, message: { v: 1, state: 'online', ts: Date.now() } });
  });
  aedes.on('clientDisconnect', (client) => {
    const agentId = identity.get(client);
    if (agentId) ingester.offer({ kind: 'presence', agentId, message: { v: 1, state: 'offline', ts: Date.now() } });
  });
  aedes.on('clientError', (client, err) => log.debug({ clientId: client?.id, err: err.message }, 'mqtt client error'));
  aedes.on('connectionError', (client, err) => { counters.inc('broker.connection.errors'); log.debug({ clientId: client?.id, err: err.message }, 'mqtt connection error'); });

  let tcp: NetServer | null = null;
  let http: HttpServer | null = null;
  let wss: WebSocketServer | null = null;
  let closing: Promise<void> | null = null;

  const closeServer = (s: NetServer | HttpServer | null) => new Promise<void>((r) => (s && s.listening ? s.close(() => r()) : r()));

  return {
    aedes,
    async listen() {
      // noDelay: each command (ack) is a small write right after the PUBACK; with Nagle it would wait for the
      // agent's delayed TCP ACK (40 ms on Linux), which was most of the publish → ack latency.
      tcp = opts.tls
        ? createTlsServer({ cert: readFileSync(opts.tls.cert), key: readFileSync(opts.tls.key), noDelay: true }, aedes.handle)
        : createNetServer({ noDelay: true }, aedes.handle);
      http = createHttpServer((_req, res) => { res.writeHead(426).end('MQTT over WebSocket only'); });
      wss = new WebSocketServer({ server: http, maxPayload: 2 * 1024 * 1024 });
      wss.on('connection', (ws, req) => {
        const stream = createWebSocketStream(ws);
        stream.on('error', () => ws.terminate());
        aedes.handle(stream, req);
      });
      const listen = (s: NetServer | HttpServer, port: number) => new Promise<number>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, opts.host, () => resolve((s.address() as AddressInfo).port));
      });
      const mqttPort = await listen(tcp, opts.mqttPort);
      const wsPort = await listen(http, opts.wsPort);
      const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
      return { mqttUrl: `${opts.tls ? 'mqtts' : 'mqtt'}://${host}:${mqttPort}`, wsUrl: `ws://${host}:${wsPort}` };
    },
    publishCommand(agentId, command) {
      return new Promise((resolve, reject) => {
        aedes.publish({ cmd: 'publish', topic: commandTopic(agentId), payload: Buffer.from(JSON.stringify(command)), qos: 1, retain: false, dup: false }, (err) => (err ? reject(err) : resolve()));
      });
    },
    disconnect(agentId) {
      const client = (aedes as unknown as { clients: Record<string, Client | undefined> }).clients[agentId];
      if (!client) return Promise.resolve();
      return new Promise((resolve) => client.close(() => resolve()));
    },
    stopAccepting() {
      // Stop listening; live sessions stay so the ingest drain can still ack. close() ends them.
      closing ??= Promise.all([closeServer(tcp), closeServer(http)]).then(() => undefined);
      return Promise.resolve();
    },
    async close() {
      closing ??= Promise.all([closeServer(tcp), closeServer(http)]).then(() => undefined);
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      for (const c of wss?.clients ?? []) c.terminate();
      wss?.close();
      await closing;
    },
  };
}

export type { PublishPacket };
