/**
 * Alertmanager-compatible webhook payloads (version "4"): what Alertmanager itself POSTs to webhook receivers, so
 * any receiver written for it (chat bridges, pagers, ticketing) accepts Homeostat incidents and escalations.
 */
import type { Incident } from '../correlate/incident.ts';

/** One alert in the payload. */
export interface AmAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** The webhook body. */
export interface AmPayload {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: AmAlert[];
}

/** Alertmanager's "zero" time for alerts that have not ended. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Payload for one incident (open → firing, resolved → resolved). */
export function incidentPayload(i: Incident, opts: { receiver: string; externalURL: string }): AmPayload {
  const status = i.status === 'open' ? 'firing' : 'resolved';
  const labels: Record<string, string> = {
    alertname: 'HomeostatIncident',
    incident: i.id,
    severity: i.severity,
    scope: i.scope,
    [`cause_${i.key.replace(/[^A-Za-z0-9_]/g, '_')}`]: i.value,
  };
  const annotations: Record<string, string> = {
    summary: i.title,
    description: i.hint.explanation,
    hosts: i.hosts.slice(0, 50).join(','),
    host_count: String(i.hosts.length),
    signatures: i.signatures.join(','),
  };
  const alert: AmAlert = {
    status,
    labels,
    annotations,
    startsAt: new Date(i.openedAt).toISOString(),
    endsAt: i.resolvedAt !== null ? new Date(i.resolvedAt).toISOString() : ZERO_TIME,
    generatorURL: `${opts.externalURL}/incidents/${i.id}`,
    fingerprint: i.id,
  };
  return {
    version: '4',
    groupKey: `{}:{incident="${i.id}"}`,
    truncatedAlerts: 0,
    status,
    receiver: opts.receiver,
    groupLabels: { incident: i.id },
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: opts.externalURL,
    alerts: [alert],
  };
}

/** Payload for a per-host escalation (an agent's `heal.escalated` event). */
export function escalationPayload(
  e: { hostId: string; hostname?: string; ts: number; message?: string; data: Record<string, unknown>; seq: number },
  opts: { receiver: string; externalURL: string },
): AmPayload {
  const labels: Record<string, string> = { alertname: 'HomeostatEscalation', host: e.hostId, severity: 'critical' };
  if (typeof e.data['policy'] === 'string') labels['policy'] = e.data['policy'];
  const annotations = {
    summary: e.message ?? `healing escalated on ${e.hostname ?? e.hostId}`,
    description: JSON.stringify(e.data).slice(0, 2000),
  };
  const alert: AmAlert = {
    status: 'firing',
    labels,
    annotations,
    startsAt: new Date(e.ts).toISOString(),
    endsAt: ZERO_TIME,
    generatorURL: `${opts.externalURL}/hosts/${e.hostId}`,
    fingerprint: `${e.hostId}-${e.seq}`,
  };
  return {
    version: '4',
    groupKey: `{}:{host="${e.hostId}"}`,
    truncatedAlerts: 0,
    status: 'firing',
    receiver: opts.receiver,
    groupLabels: { host: e.hostId },
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: opts.externalURL,
    alerts: [alert],
  };
}
