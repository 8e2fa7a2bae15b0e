/**
 * The broker port: what the control plane needs from an MQTT broker, whichever runs it. Two adapters implement it:
 * the embedded Aedes broker (broker.ts, the default) and an external broker the control plane is a client of
 * (external-broker.ts: Mosquitto with its dynamic-security plugin, or any broker with shared subscriptions and
 * HTTP authentication). test/integration/broker-contract.ts runs one suite against both.
 */
import type { Command } from '../../contract/protocol/index.ts';

/** Messages between control-plane replicas over the shared broker (`homeostat/v1/cp/<name>`; a replica never gets its
 * own back). Agents can neither read nor write these topics (every ACL adapter refuses them). */
export type ReplicaChannel = {
  publish(name: string, payload: string): void;
  subscribe(name: string, handler: (payload: Buffer) => void): Promise<() => void>;
};

export type Broker = {
  readonly mode: 'embedded' | 'external';
  /** Agents connected to this broker (embedded), or null when this process cannot know (external). */
  readonly connectedClients: number | null;
  /**
   * Embedded: starts both listeners and returns their URLs (ephemeral ports resolved). External: connects, subscribes
   * to the agents' topics (shared subscription) and returns the broker's URL as the agents' URL.
   */
  listen(): Promise<{ mqttUrl: string; wsUrl: string }>;
  /** Other replicas, when there can be any (external); null for the embedded broker (one process). */
  readonly replicas: ReplicaChannel | null;
  /** Publishes a command (QoS 1) to one agent. */
  publishCommand(agentId: string, command: Command): Promise<void>;
  /** Gives a newly enrolled agent its broker account (external with dynamic security); a no-op when the broker asks
   * the control plane (embedded, HTTP authentication). */
  provisionAgent(agentId: string, secret: string): Promise<void>;
  /** Secret rotation: the broker account takes the new secret, called once the agent holds it (its presence names
   * it, enrollment/secret-rotation.ts). A no-op where the broker asks the control plane (embedded, HTTP
   * authentication: both secrets work until the rotation completes); Mosquitto dynamic security gets the new password
   * only now, as it keeps one per client (the live session stays; the agent's next connection uses the new one). */
  rotateAgentSecret(agentId: string, secret: string): Promise<void>;
  /** Refuses a revoked agent from now on and ends its live session. */
  revokeAgent(agentId: string): Promise<void>;
  /** Stops taking new work (listeners closed / no more messages read); live sessions stay until close(). */
  stopAccepting(): Promise<void>;
  close(): Promise<void>;
};
