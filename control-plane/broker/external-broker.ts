/**
 * The external adapter of the broker port: the control plane is an MQTT 5 client of a production broker (Mosquitto 2
 * tested here; anything with shared subscriptions) and runs no broker of its own.
 *
 * Ingest: every replica subscribes to `$share/<group>/homeostat/v1/agents/+/+`, so the broker hands each agent message
 * to exactly one replica. That replica admits it (admit.ts: the same validation and queue as the embedded broker; the
 * PUBACK and the next message wait while the queue is full, which is backpressure through the broker), commits it and
 * acks on the agent's command topic. A message in flight to a replica that dies is never acked; the agent's outbox
 * sends it again and the (agent, seq) insert is idempotent. The ACL is the broker's (dynsec.ts or the HTTP hook,
 * http-auth.ts), so the topic's agent id is who published; admit.ts checks the topic shape again anyway.
 *
 * Presence: agents publish `online` and leave `offline` as their will, so it reaches ingest like any message.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { TOPIC_ROOT, type Command, commandTopic, parseAgentTopic } from '../../contract/protocol/index.ts';
import type { Counters } from '../metrics/counters.ts';
import type { Ingester } from '../ingest/ingester.ts';
import { admitAgentMessage } from './admit.ts';
import { createDynsec, type Dynsec } from './dynsec.ts';
import type { Broker, ReplicaChannel } from './port.ts';

export type ExternalBrokerOptions = {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  /** Manage Mosquitto's dynamic-security plugin (agent clients and roles). */
  dynsec: boolean;
  shareGroup: string;
  ingester: Ingester;
  counters: Counters;
  log: Logger;
  maxWaitMs: number;
  /** The agents' URL in enrollment answers (default: `url`). */
  agentUrl?: string | undefined;
  /**
   * Agents revoked in the store. With `dynsec`, their Mosquitto clients are disabled at every (re)connect: a
   * revocation made while the broker was unreachable, or whose disable never reached it, takes effect when it is back.
   */
  revokedAgents?: () => Promise<string[]>;
  connectTimeoutMs?: number;
};

export type ExternalBroker = Broker & { readonly client: MqttClient; readonly dynsec: Dynsec | null };

/** The ingest filter of a replica group. */
export const ingestFilter = (group: string) => `$share/${group}/${TOPIC_ROOT}/agents/+/+`;

export async function createExternalBroker(opts: ExternalBrokerOptions): Promise<ExternalBroker> {
  const { counters, log } = opts;
  let client: MqttClient | null = null;
  let dynsec: Dynsec | null = null;
  let accepting = true;
  const need = () => {
    if (!client) throw new Error('external broker: not connected (listen() first)');
    return client;
  };
  const publishCommand = async (agentId: string, command: Command) => {
    await need().publishAsync(commandTopic(agentId), JSON.stringify(command), { qos: 1 });
  };
  const deps = { ingester: opts.ingester, counters, log, maxWaitMs: opts.maxWaitMs, publishCommand };

  const reconcileRevoked = async () => {
    if (!dynsec || !opts.revokedAgents) return;
    const ids = await opts.revokedAgents();
    await dynsec.disableAgents(ids);
    if (ids.length) log.info({ agents: ids.length }, 'external broker: revoked agents disabled in Mosquitto');
  };

  const replicaTopic = (name: string) => `${TOPIC_ROOT}/cp/${name}`;
  const handlers = new Map<string, Set<(payload: Buffer) => void>>();
  const replicas: ReplicaChannel = {
    publish(name, payload) {
      need().publish(replicaTopic(name), payload, { qos: 0 });
    },
    async subscribe(name, handler) {
      const topic = replicaTopic(name);
      let set = handlers.get(topic);
      if (!set) {
        set = new Set();
        handlers.set(topic, set);
        // nl (no local, MQTT 5): this replica's own messages are not sent back to it.
        await need().subscribeAsync(topic, { qos: 0, nl: true });
      }
      set.add(handler);
      return () => void set.delete(handler);
    },
  };

  return {
    mode: 'external',
    connectedClients: null,
    replicas,
    get client() {
      return need();
    },
    get dynsec() {
      return dynsec;
    },
    async listen() {
      const c = await mqtt.connectAsync(opts.url, {
        protocolVersion: 5,
        clientId: `homeostat-cp-${hostname().slice(0, 20)}-${randomBytes(5).toString('hex')}`,
        // No session to resume: a dead replica's share of the traffic goes to the others, not to a queue for it.
        clean: true,
        reconnectPeriod: 1000,
        connectTimeout: opts.connectTimeoutMs ?? 10_000,
        ...(opts.username ? { username: opts.username } : {}),
        ...(opts.password ? { password: opts.password } : {}),
      });
      client = c;
      c.on('error', (err) => log.warn({ err: err.message }, 'external broker: client error'));
      c.on('offline', () => log.warn('external broker: disconnected; reconnecting'));
      let connects = 0;
      c.on('connect', () => {
        counters.inc('broker.external.connects');
        // the first connect reconciles below, before the subscription; later ones (the broker came back) here
        if (++connects > 1)
          reconcileRevoked().catch((err: Error) =>
            log.warn({ err: err.message }, 'external broker: revoked agents not reconciled'),
          );
      });
      c.on('message', (topic, payload) => {
        for (const h of handlers.get(topic) ?? []) h(payload);
      });
      // The PUBACK (and so the next message) waits for admission: the queue's backpressure reaches the broker.
      c.handleMessage = (packet, done) => {
        const parsed = parseAgentTopic(packet.topic);
        if (!parsed || !accepting) return done();
        counters.inc('broker.external.messages');
        const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
        admitAgentMessage(parsed.agentId, packet.topic, payload, deps).then(
          () => done(),
          () => done(),
        );
      };
      if (opts.dynsec) {
        dynsec = await createDynsec(c);
        if (opts.username) await dynsec.setupControlPlane(opts.username);
        await reconcileRevoked();
      }
      const granted = await c.subscribeAsync(ingestFilter(opts.shareGroup), { qos: 1 });
      if (granted.some((g) => g.qos > 2))
        throw new Error(`external broker: subscription to ${ingestFilter(opts.shareGroup)} refused (ACL?)`);
      const agentUrl = opts.agentUrl ?? opts.url;
      return { mqttUrl: agentUrl, wsUrl: agentUrl };
    },
    publishCommand,
    async provisionAgent(agentId, secret) {
      await dynsec?.createAgent(agentId, secret);
    },
    async rotateAgentSecret(agentId, secret) {
      await dynsec?.setAgentPassword(agentId, secret);
    },
    async revokeAgent(agentId) {
      // With HTTP authentication the broker asks us at the next connect; the live session ends at its next ACL check
      // or through the broker's own API (docs/scale-out.md).
      await dynsec?.disableAgent(agentId);
    },
    async stopAccepting() {
      accepting = false;
      const c = client;
      if (c?.connected) await c.unsubscribeAsync(ingestFilter(opts.shareGroup)).catch(() => undefined);
    },
    async close() {
      dynsec?.close();
      await client?.endAsync();
    },
  };
}
