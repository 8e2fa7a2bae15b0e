/**
 * One stored agent event through the control plane: fed to the correlator, then handled by kind: an approval request
 * recorded, a `heal.execute` observed by the blast-radius breaker (a trip pauses the group and asks for approval), an
 * escalation notified unless a group incident or a silence explains it. Events outside the catalogue only feed the
 * correlator (docs/events.md).
 */
import { randomBytes } from 'node:crypto';
import { type EventReading, readEvent } from '../../contract/protocol/events.ts';
import type { FleetContext } from '../fleet/context.ts';
import { hostAttributes } from '../fleet/context.ts';
import type { Notifier } from '../notify/notifier.ts';
import type { EventRow } from '../store/ports.ts';
import { policyCondition } from './approval-context.ts';
import type { Breaker } from './breaker.ts';
import type { Correlator } from './correlator.ts';
import { pauseHosts } from './fleet-pause.ts';
import type { CorrelatorEvent, IncidentChange } from './incident.ts';
import type { Population } from './population.ts';
import type { SilenceService } from './silence-service.ts';

const newId = (p: string) => `${p}-${randomBytes(6).toString('hex')}`;

/** What the intake works with. */
export interface EventIntakeDeps {
  correlator: Correlator;
  breaker: Breaker;
  population: Population;
  silences: SilenceService;
  notifier: Notifier;
}

/** Returns `onEvent(row, now, changes)`, which appends the correlator's changes to `changes`. */
export function createEventIntake(ctx: FleetContext, deps: EventIntakeDeps) {
  const { correlator, breaker, population, silences, notifier } = deps;
  const { approvals } = ctx.repos;

  // Events outside the catalogue (a newer agent) or with malformed data are stored as sent and flagged here: a warning,
  // logged once per kind and problem per process (docs/events.md).
  const flagged = new Set<string>();
  function flagEvent(r: Extract<EventReading, { ok: false }>): void {
    const key = `${r.problem}:${r.type}`;
    if (flagged.has(key)) return;
    flagged.add(key);
    ctx.log.warn(
      { type: r.type, problem: r.problem, detail: r.message },
      'event stored but not interpreted (see docs/events.md)',
    );
  }

  return async function onEvent(row: EventRow, now: number, changes: IncidentChange[]): Promise<void> {
    const attrs = population.attributes(row.hostId) ?? {};
    const data = (row.data ?? {}) as Record<string, unknown>;
    const ev: CorrelatorEvent = {
      id: `${row.hostId}:${row.seq}`,
      hostId: row.hostId,
      ts: Number(row.ts),
      type: row.type,
      severity: row.severity as CorrelatorEvent['severity'],
      data,
      ...(row.message ? { message: row.message } : {}),
    };
    changes.push(...correlator.ingest(ev, attrs, now));
    // Kind-specific handling reads the typed event; an unknown or malformed one only feeds the correlator above.
    const read = readEvent(row);
    if (!read.ok) {
      flagEvent(read);
      return;
    }
    const e = read.event;
    switch (e.type) {
      case 'heal.approval-requested': {
        const requestId = e.data.requestId;
        if (await approvals.findByRequest(requestId, row.hostId)) break;
        const action = e.data.actions ? e.data.actions.map((a) => a.type).join(',') : e.data.policy || 'unknown';
        const applied = (await ctx.hosts.get(row.hostId))?.appliedPolicyVersion ?? null;
        await approvals.create({
          id: newId('apr'),
          requestId,
          source: 'policy',
          hostId: row.hostId,
          groupKey: null,
          groupValue: null,
          action,
          reason: row.message ?? `policy ${e.data.policy} requires approval`,
          policy: e.data.policy || null,
          condition: e.data.policy ? await policyCondition(ctx.repos.policies, applied, e.data.policy) : null,
          requestedAt: new Date(now),
        });
        await ctx.audit.record({
          actor: `agent:${row.hostId}`,
          actorType: 'agent',
          action: 'approval.requested',
          target: requestId,
          detail: { action },
        });
        break;
      }
      case 'heal.execute': {
        for (const action of e.data.actions.map((a) => a.type)) {
          const d = breaker.observe(row.hostId, action, attrs, now);
          if (d.decision !== 'trip') continue;
          const hosts = [...(await ctx.hosts.list())]
            .filter((h) => !h.revokedAt && hostAttributes(h)[d.group.key] === d.group.value)
            .map((h) => h.id);
          const reason = `blast-radius breaker: ${Math.round(d.share * 100)}% of ${d.group.key}=${d.group.value} (${d.hosts}/${d.groupSize}) wanted '${action}' within the window; approval required`;
          await pauseHosts(ctx, hosts, [action], d.until, reason, 'system:breaker');
          await approvals.create({
            id: newId('apr'),
            requestId: newId('brk'),
            source: 'breaker',
            hostId: null,
            groupKey: d.group.key,
            groupValue: d.group.value,
            action,
            reason,
            policy: null,
            condition: null,
            requestedAt: new Date(now),
          });
        }
        break;
      }
      case 'heal.escalated': {
        const silenced = silences.covering(attrs, now);
        if (correlator.explains(row.hostId) || silenced) {
          notifier.inhibited();
          break;
        }
        notifier.escalation({
          hostId: row.hostId,
          hostname: attrs['hostname'],
          ts: Number(row.ts),
          data: e.data,
          seq: Number(row.seq),
          ...(row.message ? { message: row.message } : {}),
        });
        break;
      }
    }
  };
}
