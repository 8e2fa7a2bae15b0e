/**
 * The in-process MQTT broker: Aedes behind a TCP (or TLS) listener and a WebSocket listener.
 *
 * Agent messages never go through Aedes routing: the `authorizePublish` hook checks the ACL, validates the payload
 * and hands it to ingest (waiting up to `maxWaitMs` for queue room — the client's socket is not read meanwhile, which
 * is real TCP backpressure — then shedding, counted). Aedes' mqemitter short-circuits agent topics, so no unbounded
 * routing queue can build up (Aedes itself acks QoS 1 before routing and has no backpressure of its own).
 * Aedes is extended through its documented surface only: the `mq` option, the handler options (which may modify the
 * packets they are given), its events and the Client's `conn`, `clean`, `connected` and `publish`. Per-message cost:
 * an agent's PUBACK waits for the message's ack command (write-coalescer.ts), and acks go at QoS 0 to clean sessions.
 */
import { createServer as createNetServer, Socket as NetSocket, type Server as NetServer } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { Aedes, type Client, type PublishPacket, type AuthenticateError } from 'aedes';
import mqemitter from 'mqemitter';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { Logger } from 'pino';
import { TOPIC_ROOT, commandTopic, type Command } from '../../contract/protocol/index.ts';
import type { Counters } from '../metrics/counters.ts';
import type { Ingester } from '../ingest/ingester.ts';
import type { Authenticator } from './authenticate.ts';
import { authorizeAgentSubscribe } from './authorize.ts';
import { admitAgentMessage } from './admit.ts';
import type { Broker } from './port.ts';
import { createConnectionGate, type ConnectionLimits } from './connection-limits.ts';
import { createWriteCoalescer } from './write-coalescer.ts';
import { listenOn } from '../listen.ts';

export type BrokerOptions = {
  host: string;
  mqttPort: number;
  wsPort: number;
  /** PEM certificate chain and key: MQTT over TLS (`mqtts://`) and WebSocket over TLS (`wss://`). */
  tls?: { certPem: string; keyPem: string } | undefined;
  authenticator: Authenticator;
  ingester: Ingester;
  counters: Counters;
  log: Logger;
  /** How long a publish may wait for ingest queue room before it is shed (default 2000 ms). */
  maxWaitMs?: number;
  /**
   * Connection admission on both listeners (connection-limits.ts) and how long a new connection may take to send
   * CONNECT (also the TLS handshake and the WebSocket upgrade). Defaults: 10 000 total, 1 000 per address, 10 s.
   */
  limits?: Partial<ConnectionLimits> & { connectTimeoutMs?: number };
  /**
   * How long the PUBACK of an admitted telemetry/events message may wait for the message's ack command, so both
   * leave in one socket write (write-coalescer.ts; default 100 ms, 0 = off).
   */
  maxAckHoldMs?: number;
};

/** The embedded adapter of the broker port; `aedes` for tests and metrics. */
export type EmbeddedBroker = Broker & { readonly aedes: Aedes; disconnect(agentId: string): Promise<void> };

const AGENT_PREFIX = `${TOPIC_ROOT}/agents/`;

/** Messages the control plane answers with an ack command after commit (their PUBACK can wait for it). */
const ackedTopic = (topic: string) => topic.endsWith('/telemetry') || topic.endsWith('/events');

export async function createBroker(opts: BrokerOptions): Promise<EmbeddedBroker> {
  const { counters, ingester, authenticator, log } = opts;
  const maxWaitMs = opts.maxWaitMs ?? 2000;
  const connectTimeoutMs = opts.limits?.connectTimeoutMs ?? 10_000;
  const gate = createConnectionGate({
    maxConnections: opts.limits?.maxConnections ?? 10_000,
    maxConnectionsPerAddress: opts.limits?.maxConnectionsPerAddress ?? 1000,
  });
  const upgradeTimers = new WeakMap<import('node:net').Socket, NodeJS.Timeout>();
  /** Admits a raw socket (counted until it closes) or destroys it at once; true when admitted. */
  const admit = (socket: import('node:net').Socket): boolean => {
    const a = gate.admit(socket.remoteAddress);
    if (!a.ok) {
      counters.inc(`broker.connections.refused.${a.reason}`);
      socket.destroy();
      return false;
    }
    counters.inc('broker.connections.accepted');
    socket.once('close', a.release);
    return true;
  };
  const identity = new WeakMap<Client, string | null>();
  /** Connected clients by id, kept from Aedes' documented `client` / `clientDisconnect` events (for revocation). */
  const clients = new Map<string, Client>();

  // Aedes' documented `mq` option: our own mqemitter, whose emit short-circuits agent topics (see module doc). These
  // were consumed in authorizePublish; everything else is routed as usual. Options as Aedes' default emitter.
  const mq = mqemitter({ concurrency: 100, matchEmptyLevels: true });
  const route = mq.emit.bind(mq);
  mq.emit = (packet, cb) => {
    if (packet.topic.startsWith(AGENT_PREFIX)) {
      cb?.();
      return;
    }
    route(packet, cb);
  };

  const maxAckHoldMs = opts.maxAckHoldMs ?? 100;
  const writes = maxAckHoldMs > 0 ? createWriteCoalescer({ maxHoldMs: maxAckHoldMs }) : null;
  /** The agent's socket when it is a TCP/TLS one (a WebSocket stream writes each chunk apart: nothing to coalesce). */
  const socketOf = (client: Client | undefined) => (client?.conn instanceof NetSocket ? client.conn : undefined);

  /** Connected agents subscribed to their own command topic (from our subscribe hook and Aedes' `unsubscribe`). */
  const hearsCommands = new WeakSet<Client>();

  const publishCommand = (agentId: string, command: Command) =>
    new Promise<void>((resolve, reject) => {
      const client = clients.get(agentId);
      const perMessage = command.type === 'ack' || command.type === 'busy';
      // Other commands (policy, model pushes) may be large: never held behind a corked socket.
      if (!perMessage) writes?.release(socketOf(client));
      // Acks and refusals at QoS 0 to a connected clean-session agent: MQTT re-sends QoS 1 only when a persistent
      // session resumes (TCP delivers or the connection ends, and the agent replays un-acked records after any
      // reconnect), so QoS 1 only cost a message id and the agent's PUBACK, read and handled per message.
      // A persistent session (or an agent not connected now) keeps QoS 1: the broker queues them (protocol.md).
      const direct = perMessage && client?.clean === true && client.connected && hearsCommands.has(client);
      const packet = {
        cmd: 'publish' as const,
        topic: commandTopic(agentId),
        payload: Buffer.from(JSON.stringify(command)),
        qos: direct ? (0 as const) : (1 as const),
        retain: false,
        dup: false,
      };
      const done = (err?: Error | null) => {
        // The command is in the socket's buffer now: the held PUBACKs and it leave in one write.
        writes?.release(socketOf(clients.get(agentId)));
        if (err) reject(err);
        else resolve();
      };
      // Only that agent may subscribe to its command topic (the ACL; the internal client does not): handed to it
      // directly (Aedes' documented `client.publish`), without the topic match and routing of `aedes.publish`.
      if (direct) client.publish(packet, done);
      else aedes.publish(packet, done);
    });
  const admitDeps = { ingester, counters, log, maxWaitMs, publishCommand };

  const aedes: Aedes = await Aedes.createBroker({
    mq,
    concurrency: 100,
    maxClientsIdLength: 64,
    maxTopicLevels: 8,
    heartbeatInterval: 3_600_000,
    // A socket that sends no CONNECT is closed after this (Aedes' default is 30 s).
    connectTimeout: connectTimeoutMs,
    drainTimeout: 30_000,
    // The CONNECT packet may be modified here (documented). An agent's will is its offline presence, which the
    // `clientDisconnect` handler below reports on every disconnect anyway: not kept per connection (~0.5 KB each).
    preConnect(_client, packet, done) {
      if (packet.will?.topic.startsWith(AGENT_PREFIX)) delete packet.will;
      done(null, true);
    },
    authenticate(client, username, password, done) {
      authenticator.authenticate(client.id, username, password).then(
        (r) => {
          if (r.ok) {
            identity.set(client, r.agentId);
            return done(null, true);
          }
          log.warn({ clientId: client.id, reason: r.reason }, 'mqtt connection refused');
          const err = new Error(`authentication refused: ${r.reason}`) as AuthenticateError;
          err.returnCode = r.returnCode as AuthenticateError['returnCode'];
          done(err, false);
        },
        (err: unknown) => {
          log.error({ err }, 'authenticate failed');
          const e = new Error('authentication unavailable') as AuthenticateError;
          e.returnCode = 3 as AuthenticateError['returnCode'];
          done(e, false);
        },
      );
    },
    authorizePublish(client, packet, done) {
      if (client && identity.get(client) === null) return done(null); // internal client
      const agentId = client ? identity.get(client) : undefined;
      if (client && agentId === undefined) {
        counters.inc('broker.publish.refused.unauthenticated');
        return done(new Error('not authenticated'));
      }
      // client === null: an old session's will published after a restart; only an agent topic is plausible.
      const who = agentId ?? packet.topic.split('/')[3] ?? '';
      admitAgentMessage(who, packet.topic, packet.payload as Buffer, admitDeps).then(
        (a) => {
          if (!a.ok) return done(new Error(`publish to '${packet.topic}' refused: ${a.reason}`));
          // Taken by ingest, never routed: a retained copy (the agent's presence) would only be kept in Aedes'
          // retained store for every agent ever connected. The publish hook may modify the packet (documented).
          packet.retain = false;
          // Hold the PUBACK Aedes writes next until the ack command (or at most maxAckHoldMs): one write for both.
          const socket = agentId ? socketOf(client ?? undefined) : undefined;
          if (socket && writes && ackedTopic(packet.topic)) writes.hold(socket);
          done(null);
        },
        () => done(null),
      );
    },
    authorizeSubscribe(client, sub, done) {
      const agentId = identity.get(client);
      if (agentId === null) return done(null, sub);
      const acl =
        agentId === undefined
          ? { ok: false as const, reason: 'forbidden-filter' as const }
          : authorizeAgentSubscribe(agentId, sub.topic);
      if (acl.ok && agentId && sub.topic === commandTopic(agentId)) hearsCommands.add(client);
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

  aedes.on('unsubscribe', (topics, client) => {
    const agentId = identity.get(client);
    if (agentId && topics.includes(commandTopic(agentId))) hearsCommands.delete(client);
  });
  aedes.on('client', (client) => {
    clients.set(client.id, client);
  });
  aedes.on('clientReady', (client) => {
    const agentId = identity.get(client);
    if (agentId) ingester.offer({ kind: 'presence', agentId, message: { v: 1, state: 'online', ts: Date.now() } });
  });
  aedes.on('clientDisconnect', (client) => {
    // a takeover (same id reconnecting) registers the new client before the old one disconnects
    if (clients.get(client.id) === client) clients.delete(client.id);
    const agentId = identity.get(client);
    if (agentId) ingester.offer({ kind: 'presence', agentId, message: { v: 1, state: 'offline', ts: Date.now() } });
  });
  aedes.on('clientError', (client, err) => log.debug({ clientId: client?.id, err: err.message }, 'mqtt client error'));
  aedes.on('connectionError', (client, err) => {
    counters.inc('broker.connection.errors');
    log.debug({ clientId: client?.id, err: err.message }, 'mqtt connection error');
  });

  let tcp: NetServer | null = null;
  let http: HttpServer | null = null;
  let wss: WebSocketServer | null = null;
  let closing: Promise<void> | null = null;

  const closeServer = (s: NetServer | HttpServer | null) =>
    new Promise<void>((r) => (s?.listening ? s.close(() => r()) : r()));

  const disconnect = (agentId: string): Promise<void> => {
    const client = clients.get(agentId);
    if (!client) return Promise.resolve();
    return new Promise((resolve) => client.close(() => resolve()));
  };

  return {
    mode: 'embedded',
    aedes,
    replicas: null,
    get connectedClients() {
      return aedes.connectedClients;
    },
    async listen() {
      // noDelay: each command (ack) is a small write right after the PUBACK; with Nagle it would wait for the
      // agent's delayed TCP ACK (40 ms on Linux), which was most of the publish → ack latency.
      tcp = opts.tls
        ? createTlsServer(
            {
              cert: opts.tls.certPem,
              key: opts.tls.keyPem,
              noDelay: true,
              handshakeTimeout: connectTimeoutMs,
            },
            aedes.handle,
          )
        : createNetServer({ noDelay: true }, (socket) => {
            if (admit(socket)) aedes.handle(socket);
          });
      // TLS: admitted as raw TCP, before the handshake.
      if (opts.tls)
        tcp.on('connection', (socket) => {
          admit(socket);
        });
      const onRequest = (_req: unknown, res: import('node:http').ServerResponse) => {
        res.writeHead(426).end('MQTT over WebSocket only');
      };
      const httpOptions = { connectionsCheckingInterval: Math.min(1000, connectTimeoutMs) };
      http = opts.tls
        ? createHttpsServer(
            { ...httpOptions, cert: opts.tls.certPem, key: opts.tls.keyPem, handshakeTimeout: connectTimeoutMs },
            onRequest,
          )
        : createHttpServer(httpOptions, onRequest);
      // WebSocket: admitted as raw TCP; the upgrade request must arrive within the CONNECT timeout too.
      http.headersTimeout = connectTimeoutMs;
      http.requestTimeout = connectTimeoutMs;
      // An idle socket that sends no request is not covered by the HTTP timeouts: our own timer, until the upgrade.
      http.on('connection', (socket) => {
        if (!admit(socket)) return;
        const timer = setTimeout(() => {
          counters.inc('broker.connections.timed-out');
          socket.destroy();
        }, connectTimeoutMs);
        upgradeTimers.set(socket, timer);
        socket.once('close', () => clearTimeout(timer));
      });
      wss = new WebSocketServer({ server: http, maxPayload: 2 * 1024 * 1024 });
      // ws re-emits the HTTP server's errors (a busy port) on the WebSocketServer; listenOn reports them instead.
      wss.on('error', (err) => log.debug({ err: err.message }, 'websocket server error'));
      wss.on('connection', (ws, req) => {
        clearTimeout(upgradeTimers.get(req.socket)); // upgraded: Aedes' connectTimeout takes over
        const stream = createWebSocketStream(ws);
        stream.on('error', () => ws.terminate());
        aedes.handle(stream, req);
      });
      const mqttPort = await listenOn(tcp, opts.mqttPort, opts.host, 'mqttPort');
      const wsPort = await listenOn(http, opts.wsPort, opts.host, 'wsPort');
      const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
      const s = opts.tls ? 's' : '';
      return { mqttUrl: `mqtt${s}://${host}:${mqttPort}`, wsUrl: `ws${s}://${host}:${wsPort}` };
    },
    publishCommand,
    disconnect,
    provisionAgent: () => Promise.resolve(), // the broker asks the database (authenticate.ts)
    rotateAgentSecret: () => Promise.resolve(), // the authenticator reads the pending hash from the database
    revokeAgent(agentId) {
      authenticator.revoke(agentId);
      return disconnect(agentId);
    },
    stopAccepting() {
      // Stop listening; live sessions stay so the ingest drain can still ack. close() ends them.
      closing ??= Promise.all([closeServer(tcp), closeServer(http)]).then(() => undefined);
      return Promise.resolve();
    },
    async close() {
      writes?.releaseAll();
      closing ??= Promise.all([closeServer(tcp), closeServer(http)]).then(() => undefined);
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      for (const c of wss?.clients ?? []) c.terminate();
      wss?.close();
      await closing;
    },
  };
}

export type { PublishPacket };
