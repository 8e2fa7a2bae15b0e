/**
 * The MQTT contract shared by agent, control plane and UI (docs/protocol.md).
 *
 * Topic layout (protocol version 1, prefix `homeostat/v1`):
 * - agent → control plane, published by agent `<id>` only under `homeostat/v1/agents/<id>/`:
 *   `telemetry` (QoS 1, from the outbox), `events` (QoS 1, from the outbox), `presence` (QoS 1, retained, also the
 *   last will), `inventory` (QoS 1), `state` (QoS 1: which policy/model versions the agent runs).
 * - control plane → agent: `homeostat/v1/cmd/<id>` (QoS 1) carries {@link Command}s; `homeostat/v1/fleet/<name>` is
 *   the fleet-wide broadcast, readable by every agent.
 */
export const PROTOCOL_VERSION = 1 as const;
export const TOPIC_ROOT = 'homeostat/v1';

/** Kinds of topic an agent publishes under its own prefix. */
export const AGENT_TOPIC_KINDS = ['telemetry', 'events', 'presence', 'inventory', 'state'] as const;
export type AgentTopicKind = (typeof AGENT_TOPIC_KINDS)[number];

/** `homeostat/v1/agents/<agentId>/<kind>` */
export function agentTopic(agentId: string, kind: AgentTopicKind): string {
  return `${TOPIC_ROOT}/agents/${agentId}/${kind}`;
}

/** The command topic of one agent: `homeostat/v1/cmd/<agentId>`. */
export function commandTopic(agentId: string): string {
  return `${TOPIC_ROOT}/cmd/${agentId}`;
}

/** A fleet broadcast topic: `homeostat/v1/fleet/<name>`. */
export function fleetTopic(name: string): string {
  return `${TOPIC_ROOT}/fleet/${name}`;
}

/** Wildcard every agent subscribes to for broadcasts. */
export const FLEET_WILDCARD = `${TOPIC_ROOT}/fleet/#`;

/** Agent ids are server-issued: lowercase letters, digits and dashes, so they are always safe inside a topic level. */
export const AGENT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{2,63}$/;

/** Result of parsing an incoming topic; `null` for anything outside the agent tree. */
export type ParsedAgentTopic = { agentId: string; kind: AgentTopicKind };

/** Parses `homeostat/v1/agents/<id>/<kind>`; returns null when the topic is not exactly that shape. */
export function parseAgentTopic(topic: string): ParsedAgentTopic | null {
  const parts = topic.split('/');
  if (parts.length !== 5 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT || parts[2] !== 'agents') return null;
  const agentId = parts[3]!;
  const kind = parts[4]! as AgentTopicKind;
  if (!AGENT_ID_PATTERN.test(agentId) || !AGENT_TOPIC_KINDS.includes(kind)) return null;
  return { agentId, kind };
}
