/**
 * The live stream's events (`GET /api/stream`, Server-Sent Events; control-plane/api/stream.ts): one SSE message per
 * event, `event: <type>` and `data: <JSON>`, except samples, which arrive coalesced as `samples` `{ samples }`.
 */

/** A sample was ingested: a few headline features and the anomaly score (null when the agent runs no model). */
export type SampleEvent = {
  type: 'sample';
  hostId: string;
  ts: number;
  features: Record<string, number | null>;
  anomaly: number | null;
};
/** An agent connected or disconnected. */
export type PresenceEvent = { type: 'presence'; hostId: string; state: 'online' | 'offline'; ts: number };
/** An incident was opened, changed (ack, note, new host) or resolved. */
export type IncidentEvent = { type: 'incident'; incidentId: string; status: string; ts: number; title?: string };
/** A policy or model rollout moved: a wave started, an agent acknowledged, it was halted or rolled back. */
export type RolloutEvent = {
  type: 'rollout';
  rolloutId: string;
  kind: 'policy' | 'model' | 'agent';
  state: string;
  wave: number;
  acked: number;
  total: number;
  ts: number;
};
/** An agent asked for approval of an action. */
export type ApprovalEvent = {
  type: 'approval';
  approvalId: string;
  hostId: string;
  action: string;
  state: string;
  ts: number;
};
/** An agent executed a healing action (outcome: succeeded, failed, skipped, …). */
export type ActionEvent = { type: 'action'; hostId: string; action: string; outcome: string; ts: number };
/** A host's metadata changed (enrolled, labels, applied policy/model version, inventory). */
export type HostEvent = { type: 'host'; hostId: string; ts: number };

/**
 * A host was cordoned (`cordoned`: true, with who, from where and why) or uncordoned (false, those null): by an
 * operator through the API or by its agent's `heal.cordon` event.
 */
export type CordonEvent = {
  type: 'cordon';
  hostId: string;
  cordoned: boolean;
  source: 'user' | 'agent' | null;
  by: string | null;
  reason: string | null;
  ts: number;
};

/** Everything the UI can be told live. */
export type StreamEvent =
  | SampleEvent
  | PresenceEvent
  | IncidentEvent
  | RolloutEvent
  | ApprovalEvent
  | ActionEvent
  | HostEvent
  | CordonEvent;
export type StreamEventType = StreamEvent['type'];
