/**
 * Feeds the UI event bus from the broker: an in-process MQTT client (the control plane's internal credentials)
 * subscribes to every agent topic and turns telemetry, presence, state and heal/fleet events into
 * {@link StreamEvent}s. Used until ingest publishes on the bus directly; malformed payloads are ignored (ingest
 * already rejects and counts them).
 */
import mqtt from 'mqtt';
import { AGENT_PAYLOADS, TOPIC_ROOT, parseAgentTopic } from '../protocol/index.ts';
import type { LocalEventBus } from './stream.ts';

/** Features forwarded with each sample event (the rest stay in the database). */
export const HEADLINE_FEATURES = ['cpu.util_pct', 'cpu.temp_package_c', 'mem.used_pct', 'fs.min_free_pct', 'services.unhealthy', 'net.rx_bytes_per_s'];

/** Options of {@link startStreamFeed}. */
export type StreamFeedOptions = { mqttUrl: string; username: string; password: string; bus: LocalEventBus; clientId?: string };

/** Connects and starts forwarding; resolves once subscribed. `stop()` disconnects. */
export async function startStreamFeed(o: StreamFeedOptions): Promise<{ stop(): Promise<void> }> {
  const client = await mqtt.connectAsync(o.mqttUrl, { username: o.username, password: o.password, clientId: o.clientId ?? `ui-feed-${process.pid}-${Date.now()}`, reconnectPeriod: 1000 });
  client.on('message', (topic, payload) => {
    const t = parseAgentTopic(topic);
    if (!t) return;
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      return;
    }
    const parsed = AGENT_PAYLOADS[t.kind].safeParse(json);
    if (!parsed.success) return;
    const m = parsed.data;
    const hostId = t.agentId;
    switch (t.kind) {
      case 'telemetry': {
        const s = (m as { samples: { ts: number; features: Record<string, number | null>; scores?: { anomaly?: { score: number } } }[] }).samples.at(-1)!;
        const features: Record<string, number | null> = {};
        for (const k of HEADLINE_FEATURES) if (k in s.features) features[k] = s.features[k]!;
        o.bus.publish({ type: 'sample', hostId, ts: s.ts, features, anomaly: s.scores?.anomaly?.score ?? null });
        break;
      }
      case 'presence': {
        const p = m as { state: 'online' | 'offline'; ts: number };
        o.bus.publish({ type: 'presence', hostId, state: p.state, ts: p.ts });
        break;
      }
      case 'state':
      case 'inventory':
        o.bus.publish({ type: 'host', hostId, ts: (m as { ts: number }).ts });
        break;
      case 'events':
        for (const e of (m as { events: { ts: number; type: string; data: Record<string, unknown> }[] }).events) {
          if (e.type === 'heal.executed' || e.type === 'heal.failed') {
            o.bus.publish({ type: 'action', hostId, action: String(e.data.action ?? e.type), outcome: String(e.data.outcome ?? e.data.status ?? e.type), ts: e.ts });
          } else if (e.type === 'heal.approval-requested') {
            o.bus.publish({ type: 'approval', approvalId: String(e.data.requestId ?? ''), hostId, action: String((e.data.actions as { type?: string }[] | undefined)?.[0]?.type ?? ''), state: 'pending', ts: e.ts });
          }
        }
        break;
    }
  });
  await client.subscribeAsync(`${TOPIC_ROOT}/agents/+/+`, { qos: 0 });
  return { stop: () => client.endAsync() };
}
