/**
 * The correlation shell: polls new agent events from the database, feeds the correlator, persists incident changes,
 * notifies (with inhibition), applies silences and maintenance windows (pausing covered hosts), runs the blast-radius
 * breaker on `heal.execute`, and turns `heal.approval-requested` events into approval requests.
 */
import { policyCondition } from './approval-context.ts';
import { randomBytes } from 'node:crypto';
import { NotFoundError, ConflictError } from '../../contract/errors.ts';
import type { FleetContext } from '../fleet/context.ts';
import { hostAttributes } from '../fleet/context.ts';
import type { Notifier } from '../notify/notifier.ts';
import { createBreaker, type BreakerOptions } from './breaker.ts';
import { createCorrelator, type CorrelatorOptions } from './correlator.ts';
import type { CorrelatorEvent, Incident, IncidentChange } from './incident.ts';
import { createPopulation } from './population.ts';
import { parseSchedule } from './schedule.ts';
import { coveringSilence, planSilenceTransitions, type Silence } from './silences.ts';
import { parseSelector } from '../../contract/label-selector.ts';
import type { EventRow } from '../store/ports.ts';
import { readEvent, type EventReading } from '../../contract/protocol/events.ts';
import { assigned } from './assign.ts';

/** Options: correlator/breaker tuning. */
export interface IncidentServiceOptions {
  correlator?: Omit<CorrelatorOptions, 'population' | 'isSuppressed' | 'newId'>;
  breaker?: Omit<BreakerOptions, 'population'>;
}

/** A new silence/maintenance window as the API accepts it. */
export interface SilenceInput {
  kind: 'silence' | 'maintenance';
  selector: string;
  schedule: unknown;
  reason: string;
  pauseActions?: string[];
}

const newId = (p: string) => `${p}-${randomBytes(6).toString('hex')}`;

/** Creates the service. */
export function createIncidentService(ctx: FleetContext, notifier: Notifier, options: IncidentServiceOptions = {}) {
  const population = createPopulation();
  let silences: Silence[] = [];
  let activeSilences = new Set<string>();
  const online = new Map<string, boolean>();
  const correlator = createCorrelator({
    ...options.correlator,
    population,
    newId: () => newId('inc'),
    isSuppressed: (_h, attrs, now) => coveringSilence(silences, attrs, now)?.silence.id ?? null,
  });
  const breaker = createBreaker({ ...options.breaker, population });
  let cursor: Date | null = null;
  let seenAtCursor = new Set<string>();
  const { incidents, approvals, rollouts, telemetry } = ctx.repos;

  const loadSilences = async () => {
    silences = (await ctx.repos.silences.list()).map((s) => ({
      id: s.id,
      kind: s.kind,
      selector: s.selector,
      schedule: s.schedule,
      reason: s.reason,
      createdBy: s.createdBy,
      pauseActions: s.pauseActions,
    }));
  };

  /** A group incident keyed by a policy or model version names the rollout that put it there ("a rollout that just happened"). */
  async function withRollout(
    i: Incident,
    cache: Map<string, { id: string; kind: string; version: string; status: string; createdAt: Date } | null>,
  ): Promise<Incident> {
    if (i.scope !== 'group') return i;
    const version =
      i.key === 'policyVersion' ? i.value : i.key.startsWith('model.') ? `${i.key.slice(6)}@${i.value}` : null;
    if (!version) return i;
    if (!cache.has(version)) cache.set(version, await rollouts.latestOfVersion(version));
    const r = cache.get(version);
    if (!r) return i;
    return {
      ...i,
      rollouts: [{ id: r.id, kind: r.kind, version: r.version }],
      hint: {
        ...i.hint,
        explanation: `${i.hint.explanation} ${version} was rolled out by ${r.id} (${r.status}) at ${r.createdAt.toISOString()}.`,
      },
    };
  }

  async function persist(changes: IncidentChange[]): Promise<void> {
    const cache = new Map<
      string,
      { id: string; kind: string; version: string; status: string; createdAt: Date } | null
    >();
    for (const change of changes) {
      const type = change.type;
      const i = await withRollout(change.incident, cache);
      await incidents.upsert(i);
      if (type === 'opened' || type === 'resolved' || type === 'merged') {
        await ctx.audit.record({
          actor: 'system:correlator',
          actorType: 'system',
          action: `incident.${type}`,
          target: i.id,
          detail: { title: i.title, hint: i.hint.explanation, hosts: i.hosts.length },
        });
      }
      if (type === 'opened' || type === 'resolved') notifier.incident(i);
    }
  }

  async function pauseHosts(
    hosts: string[],
    actions: string[],
    until: number | null,
    reason: string,
    actor: string,
  ): Promise<void> {
    for (const h of hosts) {
      try {
        await ctx.publish(h, { v: 1, type: 'pause', actions, until, reason });
      } catch (err) {
        ctx.log.warn({ err, host: h }, 'pause publish failed');
      }
    }
    await ctx.audit.record({
      actor,
      actorType: 'system',
      action: until !== null && until <= ctx.now() ? 'fleet.resumed' : 'fleet.paused',
      target: null,
      detail: { hosts: hosts.length, actions, until, reason },
    });
  }

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

  async function onEvent(row: EventRow, now: number, changes: IncidentChange[]): Promise<void> {
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
          await pauseHosts(hosts, [action], d.until, reason, 'system:breaker');
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
        const silenced = coveringSilence(silences, attrs, now);
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
  }

  const service = {
    correlator,
    breaker,
    /** One polling round; returns the incident changes it produced. */
    async tick(): Promise<IncidentChange[]> {
      const now = ctx.now();
      const hosts = await ctx.hosts.list();
      for (const h of hosts)
        if (h.revokedAt) population.remove(h.id);
        else population.upsert(h.id, hostAttributes(h));
      await loadSilences();
      const labels = new Map(hosts.filter((h) => !h.revokedAt).map((h) => [h.id, hostAttributes(h)]));
      const t = planSilenceTransitions(silences, labels, activeSilences, now);
      activeSilences = t.active;
      for (const s of t.started) {
        await ctx.audit.record({
          actor: 'system:silences',
          actorType: 'system',
          action: `${s.silence.kind}.started`,
          target: s.silence.id,
          detail: { hosts: s.hosts.length, until: s.until },
        });
        if (s.silence.kind === 'maintenance')
          await pauseHosts(
            s.hosts,
            s.silence.pauseActions,
            s.until,
            `maintenance window ${s.silence.id}: ${s.silence.reason}`,
            'system:silences',
          );
      }
      for (const s of t.expired) {
        await ctx.repos.silences.delete(s.id);
        await ctx.audit.record({
          actor: 'system:silences',
          actorType: 'system',
          action: `${s.kind}.expired`,
          target: s.id,
          detail: {},
        });
      }
      const changes: IncidentChange[] = [];
      // Presence: an agent going offline is a signal (a rack losing power shows up as many at once).
      for (const h of hosts) {
        const was = online.get(h.id);
        online.set(h.id, h.online);
        if (was === true && !h.online && !h.revokedAt) {
          changes.push(
            ...correlator.ingest(
              { id: `${h.id}:offline:${now}`, hostId: h.id, ts: now, type: 'presence.offline', severity: 'warning' },
              population.attributes(h.id) ?? {},
              now,
            ),
          );
        }
      }
      for (;;) {
        // Rows at the cursor's exact time were seen already; fetch past them so a burst in one millisecond cannot stall.
        const take = 2000 + seenAtCursor.size;
        const rows = await telemetry.eventsReceivedSince(cursor, take);
        const fresh = rows.filter((r) => !seenAtCursor.has(`${r.hostId}:${r.seq}`));
        if (!fresh.length) break;
        for (const r of fresh) {
          await onEvent(r, now, changes);
          if (!cursor || r.receivedAt.getTime() !== cursor.getTime()) {
            cursor = r.receivedAt;
            seenAtCursor = new Set();
          }
          seenAtCursor.add(`${r.hostId}:${r.seq}`);
        }
        if (rows.length < take) break;
      }
      changes.push(...correlator.tick(now));
      await persist(changes);
      return changes;
    },
    /** Starts reading events at the newest stored one (history is not replayed into new incidents). */
    async init(): Promise<void> {
      const last = await telemetry.newestReceived();
      if (last) {
        cursor = last.at;
        seenAtCursor = new Set(last.keys.map((r) => `${r.hostId}:${r.seq}`));
      }
      // Incidents left open by a previous process are followed on: new signals join them, quiet ones resolve.
      correlator.restore(await incidents.list({ status: 'open' }), ctx.now());
      for (const h of await ctx.hosts.list()) online.set(h.id, h.online);
    },
    async list(filter: { status?: string; limit?: number } = {}) {
      return incidents.list({ ...(filter.status ? { status: filter.status } : {}), limit: filter.limit ?? 200 });
    },
    /** Number of open incidents each host is in and the highest severity among them (hosts in none are absent);
     * one statement. */
    async openCountsByHost(): Promise<Map<string, { count: number; severity: Incident['severity'] }>> {
      const rank = { info: 0, warning: 1, critical: 2 } as const;
      const counts = new Map<string, { count: number; severity: Incident['severity'] }>();
      for (const i of await incidents.list({ status: 'open' })) {
        for (const h of new Set(i.hosts)) {
          const cur = counts.get(h);
          counts.set(h, {
            count: (cur?.count ?? 0) + 1,
            severity: cur && rank[cur.severity] >= rank[i.severity] ? cur.severity : i.severity,
          });
        }
      }
      return counts;
    },
    async get(id: string): Promise<Incident> {
      const i = await incidents.get(id);
      if (!i) throw new NotFoundError('incident', id);
      return i;
    },
    async acknowledge(id: string, by: string): Promise<Incident> {
      await service.get(id);
      await persist(correlator.acknowledge(id, by, ctx.now()));
      await ctx.audit.record({
        actor: `user:${by}`,
        actorType: 'user',
        action: 'incident.acknowledged',
        target: id,
        detail: {},
      });
      return service.get(id);
    },
    async resolve(id: string, by: string): Promise<Incident> {
      const cur = await service.get(id);
      const changes = correlator.resolve(id, by, ctx.now());
      if (!changes.length && cur.status === 'open') {
        // Not followed by this process (opened before a restart): close the stored copy.
        changes.push({
          type: 'resolved',
          incident: {
            ...cur,
            status: 'resolved',
            resolvedAt: ctx.now(),
            updatedAt: ctx.now(),
            resolution: { reason: 'manual', at: ctx.now(), text: `resolved by hand by ${by}`, by },
            notes: [...cur.notes, { by, at: ctx.now(), text: 'resolved by hand' }],
          },
        });
      }
      await persist(changes);
      await ctx.audit.record({
        actor: `user:${by}`,
        actorType: 'user',
        action: 'incident.resolved-by-hand',
        target: id,
        detail: {},
      });
      return service.get(id);
    },
    async annotate(id: string, by: string, text: string): Promise<Incident> {
      await service.get(id);
      await persist(correlator.annotate(id, by, text, ctx.now()));
      await ctx.audit.record({
        actor: `user:${by}`,
        actorType: 'user',
        action: 'incident.annotated',
        target: id,
        detail: { text },
      });
      return service.get(id);
    },
    /** Sets (a username) or clears (null) the incident's assignee; audited as `incident.assigned`. */
    async assign(id: string, assignee: string | null, by: string): Promise<Incident> {
      const cur = await service.get(id);
      const changes = correlator.assign(id, assignee, by, ctx.now());
      // Not followed by this process (resolved, or opened before a restart): change the stored copy.
      if (!changes.length)
        changes.push({ type: 'annotated', incident: { ...cur, ...assigned(cur, assignee, by, ctx.now()) } });
      await persist(changes);
      await ctx.audit.record({
        actor: `user:${by}`,
        actorType: 'user',
        action: 'incident.assigned',
        target: id,
        detail: { assignee, previous: cur.assignee?.name ?? null },
      });
      return service.get(id);
    },
    async createSilence(input: SilenceInput, by: string): Promise<Silence> {
      parseSelector(input.selector);
      const schedule = parseSchedule(input.schedule);
      const s: Silence = {
        id: newId('sil'),
        kind: input.kind,
        selector: input.selector,
        schedule,
        reason: input.reason,
        createdBy: by,
        pauseActions: input.pauseActions ?? [],
      };
      await ctx.repos.silences.create({ ...s, createdAt: new Date(ctx.now()) });
      await ctx.audit.record({
        actor: `user:${by}`,
        actorType: 'user',
        action: `${s.kind}.created`,
        target: s.id,
        detail: { selector: s.selector, schedule: s.schedule },
      });
      return s;
    },
    async listSilences(): Promise<(Silence & { active: boolean })[]> {
      await loadSilences();
      return silences.map((s) => ({ ...s, active: activeSilences.has(s.id) }));
    },
    async deleteSilence(id: string, by: string): Promise<void> {
      if (!(await ctx.repos.silences.delete(id))) throw new NotFoundError('silence', id);
      await ctx.audit.record({
        actor: `user:${by}`,
        actorType: 'user',
        action: 'silence.deleted',
        target: id,
        detail: {},
      });
    },
    async listApprovals(status?: string) {
      return approvals.list({ ...(status ? { status } : {}), limit: 500 });
    },
    /** Approves or denies; sends the `approval` command (policy guard) or resumes the paused group (breaker). */
    async decide(id: string, approved: boolean, by: string, reason?: string) {
      const a = await approvals.get(id);
      if (!a) throw new NotFoundError('approval', id);
      if (a.status !== 'pending') throw new ConflictError(`approval '${id}' is already ${a.status}`, 'decided');
      const now = ctx.now();
      if (!(await approvals.decide(id, { approved, by, at: new Date(now), reason: reason ?? null })))
        throw new ConflictError(`approval '${id}' was decided concurrently`, 'decided');
      if (a.source === 'policy' && a.hostId) {
        await ctx.publish(a.hostId, {
          v: 1,
          type: 'approval',
          requestId: a.requestId,
          approved,
          by,
          ...(reason ? { reason } : {}),
        });
      } else if (a.source === 'breaker' && a.groupKey && a.groupValue && approved) {
        breaker.reset(a.groupKey, a.groupValue, a.action);
        const hosts = (await ctx.hosts.list())
          .filter((h) => !h.revokedAt && hostAttributes(h)[a.groupKey!] === a.groupValue)
          .map((h) => h.id);
        await pauseHosts(hosts, [a.action], now, `approved by ${by}${reason ? `: ${reason}` : ''}`, `user:${by}`);
      }
      await ctx.audit.record({
        actor: `user:${by}`,
        actorType: 'user',
        action: approved ? 'approval.granted' : 'approval.denied',
        target: a.requestId,
        detail: {
          approval: id,
          source: a.source,
          host: a.hostId,
          group: a.groupKey ? `${a.groupKey}=${a.groupValue}` : null,
          action: a.action,
          reason: reason ?? null,
        },
      });
      return (await approvals.get(id))!;
    },
  };
  return service;
}
export type IncidentService = ReturnType<typeof createIncidentService>;
