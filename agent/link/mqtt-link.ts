/**
 * The agent's MQTT link (shell: the only agent file that imports mqtt).
 *
 * Delivery is made lossless by the outbox, not by MQTT sessions: records are published at QoS 1 in seq order and
 * leave the outbox only when the control plane's `ack` command says they are committed. After any reconnect every
 * unacked record is replayed in order (the control plane dedupes by seq). We therefore connect with `clean: true`:
 * a persistent session would only make the broker redeliver in-flight messages we replay anyway, and cost broker
 * state per agent; commands missed while offline are acks (harmless: replay gets re-acked) or policy/model pushes,
 * which the control plane sends again at the agent's presence when a running rollout's version is not in the `state`
 * the agent reported (control-plane/fleet/rollout-service.ts resendPending).
 *
 * Overload: a `busy` command names records the control plane refused unread. The link stops publishing for
 * {@link refusalDelay} (at least the command's `retryAfterMs`, doubled per refusal in a row, jittered, capped), then
 * sends exactly those records again before anything new; records admitted meanwhile are not sent twice.
 */
import { createHash } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import {
  agentTopic,
  commandTopic,
  FLEET_WILDCARD,
  type InventoryMessage,
  type PresenceMessage,
  type StateMessage,
} from '../../contract/protocol/index.ts';
import { secretIdOf } from '../../contract/protocol/secret-id.ts';
import { createRetrier, realTimers, refusalDelay, type BackoffOptions, type Timers } from './backoff.ts';
import { batchOf, nextBatch, type BatchLimits } from './batch.ts';
import { dispatchCommand, type CommandHandlers } from './commands.ts';
import { createInFlight } from './inflight.ts';
import type { OutboxStore, SeqRange } from './outbox/store.ts';
import { describeTlsError, plainTransportRefusal } from '../../contract/tls/trust.ts';

/** Options of {@link createLink}. */
export type LinkOptions = {
  agentId: string;
  secret: string;
  mqttUrl: string;
  /** The secret before the last rotation, tried when `secret` is refused (agent/fleet/secret-rotation.ts). */
  previousSecret?: string | undefined;
  /** The control plane's CA pinned at enrollment: the only trust anchor for mqtts:// and wss://; plain URLs refused. */
  ca?: string | undefined;
  agentVersion: string;
  /** Stated in presence with the version (agent/fleet/install-layout.ts previousVersion, agent/fleet/platform.ts). */
  previousAgentVersion?: string | null;
  platform?: string;
  outbox: OutboxStore;
  logger: Logger;
  handlers?: CommandHandlers;
  /** Max records published but not yet acked (default 2000). */
  windowRecords?: number;
  /**
   * Max messages published with records not yet acked (default 8): while acks are slow (an overloaded control plane)
   * new records wait and go out together in the next message instead of one message each (inflight.ts).
   */
  windowMessages?: number;
  batch?: BatchLimits;
  /** Replay from the oldest unacked record when no ack arrived for this long (default 30 s). */
  ackTimeoutMs?: number;
  connectTimeoutMs?: number;
  backoff?: BackoffOptions;
  /** Pause after a `busy` refusal (refusalDelay; default base 500 ms, cap 30 s). */
  busyBackoff?: BackoffOptions;
  timers?: Timers;
  clock?: () => number;
  /** Called after each ack was applied (e.g. to refresh the status file). */
  onAck?: () => void;
  /** MQTT transport factory (default mqtt.connect). */
  connect?: (url: string, options: IClientOptions) => MqttClient;
};

/** Connection snapshot for `agent status`. */
export type LinkStatus = {
  state: 'connecting' | 'connected' | 'disconnected' | 'stopped';
  connectedAt: number | null;
  lastAckAt: number | null;
  lastAckSeq: number | null;
  inflight: number;
  reconnects: number;
  lastError: string | null;
  /** Records the control plane refused (`busy`) and this link sends again once its pause ends. */
  refused?: number;
  /** `busy` refusals received since start. */
  busyRefusals?: number;
  /** When {@link lastError} happened (F2: an old error next to "connected" is told apart by it). */
  lastErrorAt?: number | null;
  /** The broker URL the link connects to: the effective one (server.mqttUrl overrides the enrolled one) (F1). */
  url?: string;
};

export type Link = {
  /** Starts connecting (and reconnecting, with backoff, until stop()). */
  start(): void;
  /** Tells the link the outbox has new records. */
  notify(): void;
  /** Sets the inventory; published at every connect and whenever its hash changes. */
  setInventory(inventory: Record<string, unknown>): void;
  /** Publishes the applied policy/model state (QoS 1, not retained). */
  publishState(state: Omit<StateMessage, 'v' | 'ts'>): void;
  /** Secret rotation: reconnects with `secret` now; `previous` is tried whenever the broker refuses it. */
  rotateSecret(secret: string, previous: string): void;
  /** Registers a command handler (policy, model, approval, pause). */
  handle<K extends keyof CommandHandlers>(type: K, handler: NonNullable<CommandHandlers[K]>): void;
  status(): LinkStatus;
  /** Resolves true once the outbox is empty (everything acked), false after `timeoutMs`. */
  drain(timeoutMs: number): Promise<boolean>;
  /** Publishes offline presence and disconnects. */
  stop(): Promise<void>;
};

/** Creates the link; call start() to connect. */
export function createLink(o: LinkOptions): Link {
  const timers = o.timers ?? realTimers;
  const clock = o.clock ?? Date.now;
  const window = o.windowRecords ?? 2000;
  const windowMessages = o.windowMessages ?? 8;
  const ackTimeoutMs = o.ackTimeoutMs ?? 30_000;
  const handlers: CommandHandlers = { ...o.handlers };
  const connectFn = o.connect ?? ((url: string, opts: IClientOptions) => mqtt.connect(url, opts));
  const log = o.logger.child({ component: 'link' });
  const presence = (state: 'online' | 'offline') =>
    JSON.stringify({
      v: 1,
      state,
      ts: clock(),
      agentVersion: o.agentVersion,
      ...(o.previousAgentVersion !== undefined ? { previousAgentVersion: o.previousAgentVersion } : {}),
      ...(o.platform ? { platform: o.platform } : {}),
      // the newest secret held (stored before the link is told): the control plane completes a rotation on it
      secretId: secretIdOf(newest),
    } satisfies PresenceMessage);

  const st: LinkStatus = {
    state: 'disconnected',
    connectedAt: null,
    lastAckAt: null,
    lastAckSeq: null,
    inflight: 0,
    reconnects: 0,
    lastError: null,
    lastErrorAt: null,
    url: o.mqttUrl,
  };
  let client: MqttClient | null = null;
  let ready = false; // connected and subscribed
  let stopped = false;
  let lastSentSeq = 0;
  const inflight = createInFlight();
  /** Refused by the control plane (`busy`), sent again first once the pause is over. */
  const refused = new Set<number>();
  let refusalsInRow = 0;
  let pausedUntil = 0;
  let pauseTimer: unknown = null;
  let busyRefusals = 0;
  // After an ack timeout the link probes: one batch in flight until an ack shows the path works again, so a connection
  // that is dead but not yet detected (keepalive) does not swallow everything appended meanwhile.
  let probing = false;
  let lastProgressAt = 0;
  let ackTimer: unknown = null;
  let droppedSeen = o.outbox.stats().droppedTotal;
  let inventory: { body: Record<string, unknown>; hash: string } | null = null;
  let publishedInventoryHash: string | null = null;
  const drainWaiters = new Set<() => void>();
  let secret = o.secret;
  let fallback = o.previousSecret ?? null;
  /** The newest secret (a refused one is swapped with the fallback, this stays); named in presence. */
  let newest = o.secret;
  /** The secret the current connection authenticated with. */
  let connectedWith: string | null = null;

  const retrier = createRetrier({ ...o.backoff, timers, attempt: () => connect() });

  function connect(): void {
    if (stopped) return;
    st.state = 'connecting';
    const refusal = plainTransportRefusal(o.mqttUrl, o.ca !== undefined);
    if (refusal) {
      st.state = 'disconnected';
      if (st.lastError !== refusal) log.error({ url: o.mqttUrl }, refusal);
      st.lastError = refusal;
      st.lastErrorAt = clock();
      retrier.failed();
      return;
    }
    const c = connectFn(o.mqttUrl, {
      ...(o.ca ? { ca: o.ca, rejectUnauthorized: true } : {}),
      clientId: o.agentId,
      username: o.agentId,
      password: secret,
      clean: true,
      protocolVersion: 4,
      keepalive: 30,
      reconnectPeriod: 0, // we reconnect ourselves, with jittered backoff
      // mqtt-packet's default pre-builds a 2-byte Buffer for each of the 65,536 packet ids and lengths at the first
      // packet: 6 MB of live heap (a tenth of the agent's) that every full GC marks again, for a client that writes a
      // packet or two a cycle. Without it each number is written from a fresh 2-byte Buffer.
      writeCache: false,
      connectTimeout: o.connectTimeoutMs ?? 10_000,
      will: {
        topic: agentTopic(o.agentId, 'presence'),
        payload: Buffer.from(presence('offline')),
        qos: 1,
        retain: true,
      },
    });
    client = c;
    const using = secret;
    c.on('connect', () => {
      if (c !== client) return;
      connectedWith = using;
      c.subscribe([commandTopic(o.agentId), FLEET_WILDCARD], { qos: 1 }, (err) => {
        if (err || c !== client) return void (err && log.warn({ err: err.message }, 'subscribe failed'));
        st.state = 'connected';
        st.connectedAt = clock();
        ready = true;
        retrier.reset();
        c.publish(agentTopic(o.agentId, 'presence'), presence('online'), { qos: 1, retain: true });
        publishInventory(true);
        // The control plane learns what this agent runs at every connect (it may have missed changes while offline).
        if (lastState)
          c.publish(
            agentTopic(o.agentId, 'state'),
            JSON.stringify({ v: 1, ts: clock(), ...lastState } satisfies StateMessage),
            { qos: 1 },
          );
        // Replay everything not yet acked, in order.
        lastSentSeq = 0;
        inflight.clear();
        refused.clear();
        probing = false;
        lastProgressAt = clock();
        log.info({ depth: o.outbox.stats().depth }, 'connected');
        pump();
      });
    });
    c.on('message', (topic, payload) => {
      const fromFleet = topic !== commandTopic(o.agentId);
      dispatchCommand(payload, fromFleet, onAck, handlers, onBusy).then(
        (r) => {
          if (r.outcome === 'rejected' || r.outcome === 'unhandled') log.warn({ topic, ...r }, 'command not handled');
          // Refused for good by the control plane (removed from the outbox with the ack's ranges): say which and why.
          else if (r.outcome === 'acked' && r.rejected)
            log.warn({ rejected: r.rejected }, 'control plane refused records');
        },
        (err: Error) => log.error({ topic, err: err.message }, 'command handler failed'),
      );
    });
    c.on('error', (err) => {
      const message = describeTlsError(err as Error & { code?: string }, o.mqttUrl, o.ca !== undefined);
      if (message !== err.message && message !== st.lastError) log.error({ url: o.mqttUrl }, message);
      st.lastError = message;
      st.lastErrorAt = clock();
      // CONNACK 4/5 (bad credentials / not authorized) after a rotation: the other secret is tried next.
      const code = (err as Error & { code?: unknown }).code;
      if (fallback && (code === 4 || code === 5)) {
        [secret, fallback] = [fallback, secret];
        log.warn({ code }, 'the broker refused the secret; trying the one from before the last rotation');
      }
    });
    c.on('close', () => {
      if (c !== client) return;
      client = null;
      connectedWith = null;
      const wasReady = ready;
      ready = false;
      c.removeAllListeners('close');
      c.end(true);
      if (stopped) return;
      st.state = 'disconnected';
      st.reconnects += 1;
      const delay = retrier.failed();
      if (wasReady) log.warn({ delay, err: st.lastError }, 'disconnected; reconnecting');
      else log.debug({ delay, err: st.lastError }, 'connect failed; retrying');
    });
  }

  let lastState: Omit<StateMessage, 'v' | 'ts'> | null = null;

  function publishInventory(force: boolean): void {
    if (!ready || !client || !inventory) return;
    if (!force && publishedInventoryHash === inventory.hash) return;
    publishedInventoryHash = inventory.hash;
    client.publish(
      agentTopic(o.agentId, 'inventory'),
      JSON.stringify({ v: 1, ts: clock(), hash: inventory.hash, inventory: inventory.body } satisfies InventoryMessage),
      { qos: 1 },
    );
  }

  function pump(): void {
    if (!ready || !client) return;
    if (clock() < pausedUntil) return; // refused (busy): the pause timer pumps again
    const stats = o.outbox.stats();
    if (stats.droppedTotal !== droppedSeen) {
      // The size bound removed records: forget in-flight seqs that no longer exist.
      droppedSeen = stats.droppedTotal;
      // Every stored record in flight is one of the `inflight.size` stored after the lowest in-flight seq (published
      // drop events are kept by the bound, so the removed seqs need not be the oldest).
      let low = Infinity;
      for (const s of inflight) low = Math.min(low, s);
      const present = new Set(low === Infinity ? [] : o.outbox.peek(inflight.size, low - 1).map((r) => r.seq));
      for (const s of inflight) if (!present.has(s)) inflight.delete(s);
    }
    while (probing ? inflight.size === 0 : inflight.size < window && inflight.messages < windowMessages) {
      // Refused records first, exactly those (they are behind lastSentSeq), then what was never sent.
      const again = refused.size > 0 ? batchOf(o.outbox, refused, o.batch) : null;
      const batch = again ?? nextBatch(o.outbox, lastSentSeq, o.batch);
      if (!batch) break;
      client.publish(agentTopic(o.agentId, batch.kind === 'telemetry' ? 'telemetry' : 'events'), batch.payload, {
        qos: 1,
      });
      inflight.sent(batch.seqs);
      if (!again) {
        lastSentSeq = batch.lastSeq;
        o.outbox.markSent(batch.lastSeq);
      }
    }
    st.inflight = inflight.size;
    armAckTimer();
  }

  function armAckTimer(): void {
    if (ackTimer !== null || inflight.size === 0) return;
    ackTimer = timers.setTimeout(() => {
      ackTimer = null;
      if (!ready || inflight.size === 0) return;
      if (clock() - lastProgressAt >= ackTimeoutMs) {
        log.warn({ inflight: inflight.size }, 'no ack within timeout; replaying unacked records');
        lastSentSeq = 0;
        inflight.clear();
        refused.clear();
        probing = true;
        lastProgressAt = clock();
        pump();
      } else armAckTimer();
    }, ackTimeoutMs);
  }

  /** The control plane refused these seqs unread: pause, then send exactly those in flight again. */
  function onBusy(ranges: SeqRange[], retryAfterMs: number): void {
    let moved = 0;
    for (const s of inflight)
      if (ranges.some(([a, b]) => s >= a && s <= b)) {
        inflight.delete(s);
        refused.add(s);
        moved++;
      }
    busyRefusals++;
    lastProgressAt = clock(); // the control plane answered: no ack-timeout replay for these
    if (moved === 0) return;
    const delay = refusalDelay(++refusalsInRow, retryAfterMs, o.busyBackoff);
    pausedUntil = Math.max(pausedUntil, clock() + delay);
    if (pauseTimer !== null) timers.clearTimeout(pauseTimer);
    pauseTimer = timers.setTimeout(
      () => {
        pauseTimer = null;
        pump();
      },
      Math.max(0, pausedUntil - clock()),
    );
    st.inflight = inflight.size;
    log.debug({ refused: refused.size, delay, retryAfterMs }, 'control plane busy; backing off');
  }

  function onAck(ranges: SeqRange[]): void {
    o.outbox.ack(ranges);
    refusalsInRow = 0;
    probing = false;
    for (const s of inflight) if (ranges.some(([a, b]) => s >= a && s <= b)) inflight.delete(s);
    st.lastAckAt = lastProgressAt = clock();
    // An ack may name seqs this agent never issued (ranges are the control plane's); report only real ones.
    st.lastAckSeq = Math.min(o.outbox.stats().lastSeq, Math.max(st.lastAckSeq ?? 0, ...ranges.map((r) => r[1])));
    st.inflight = inflight.size;
    if (o.outbox.stats().depth === 0) for (const w of [...drainWaiters]) w();
    pump();
    o.onAck?.();
  }

  return {
    start() {
      if (!client && !stopped) connect();
    },
    rotateSecret(next, previous) {
      secret = next;
      fallback = previous;
      newest = next;
      // A rotation sent again (agent/fleet/secret-rotation.ts): already connected with it, nothing to do.
      if (client && connectedWith === next) return;
      log.info('secret rotated; reconnecting with it');
      client?.end(true); // 'close' reconnects (with the new secret)
    },
    notify: pump,
    setInventory(body) {
      const hash = createHash('sha256').update(stableJson(body)).digest('hex');
      inventory = { body, hash };
      publishInventory(false);
    },
    publishState(state) {
      lastState = state;
      if (ready && client)
        client.publish(
          agentTopic(o.agentId, 'state'),
          JSON.stringify({ v: 1, ts: clock(), ...state } satisfies StateMessage),
          { qos: 1 },
        );
    },
    handle(type, handler) {
      (handlers as Record<string, unknown>)[type] = handler;
    },
    status: () => ({ ...st, inflight: inflight.size, refused: refused.size, busyRefusals }),
    drain(timeoutMs) {
      if (o.outbox.stats().depth === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const done = (ok: boolean) => {
          drainWaiters.delete(waiter);
          timers.clearTimeout(t);
          resolve(ok);
        };
        const waiter = () => done(true);
        const t = timers.setTimeout(() => done(false), timeoutMs);
        drainWaiters.add(waiter);
      });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      retrier.stop();
      if (ackTimer !== null) timers.clearTimeout(ackTimer);
      if (pauseTimer !== null) timers.clearTimeout(pauseTimer);
      st.state = 'stopped';
      const c = client;
      client = null;
      ready = false;
      if (!c) return;
      c.removeAllListeners('close');
      if (c.connected) {
        await new Promise<void>((resolve) =>
          c.publish(agentTopic(o.agentId, 'presence'), presence('offline'), { qos: 1, retain: true }, () => resolve()),
        );
      }
      // A half-open socket can keep a graceful end waiting forever: give it 2 s, then force.
      let t: unknown = null;
      await Promise.race([
        c.endAsync().catch(() => undefined),
        new Promise<void>((r) => (t = timers.setTimeout(r, 2000))),
      ]);
      timers.clearTimeout(t);
      if (!c.disconnected) c.end(true);
    },
  };
}

/** JSON with sorted keys, so equal inventories hash equally. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
