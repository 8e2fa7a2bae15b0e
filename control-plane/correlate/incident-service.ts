/**
 * The correlation shell: polls new agent events from the database, feeds the correlator, persists incident changes,
 * notifies (with inhibition), applies silences and maintenance windows (pausing covered hosts), runs the blast-radius
 * breaker on `heal.execute`, and turns `heal.approval-requested` events into approval requests.
 *
 * Parts: event-intake.ts (one event: correlator, approvals, breaker, escalations), incident-persist.ts (store, audit,
 * notify), silence-service.ts, approval-service.ts, fleet-pause.ts; this file runs the polling round and the
 * incident operations.
 */
import { randomBytes } from 'node:crypto';
import { NotFoundError } from '../../contract/errors.ts';
import type { FleetContext } from '../fleet/context.ts';
import { hostAttributes } from '../fleet/context.ts';
import type { Notifier } from '../notify/notifier.ts';
import { createApprovalService } from './approval-service.ts';
import { assigned } from './assign.ts';
import { type BreakerOptions, createBreaker } from './breaker.ts';
import { type CorrelatorOptions, createCorrelator } from './correlator.ts';
import { createEventIntake } from './event-intake.ts';
import type { Incident, IncidentChange } from './incident.ts';
import { createIncidentPersister } from './incident-persist.ts';
import { createPopulation } from './population.ts';
import { createSilenceService } from './silence-service.ts';

export type { SilenceInput } from './silence-service.ts';

/** Options: correlator/breaker tuning. */
export interface IncidentServiceOptions {
  correlator?: Omit<CorrelatorOptions, 'population' | 'isSuppressed' | 'newId'>;
  breaker?: Omit<BreakerOptions, 'population'>;
}

const newId = (p: string) => `${p}-${randomBytes(6).toString('hex')}`;

/** Creates the service. */
export function createIncidentService(ctx: FleetContext, notifier: Notifier, options: IncidentServiceOptions = {}) {
  const population = createPopulation();
  const silences = createSilenceService(ctx);
  const online = new Map<string, boolean>();
  const correlator = createCorrelator({
    ...options.correlator,
    population,
    newId: () => newId('inc'),
    isSuppressed: (_h, attrs, now) => silences.covering(attrs, now)?.silence.id ?? null,
  });
  const breaker = createBreaker({ ...options.breaker, population });
  const persist = createIncidentPersister(ctx, notifier);
  const onEvent = createEventIntake(ctx, { correlator, breaker, population, silences, notifier });
  let cursor: Date | null = null;
  let seenAtCursor = new Set<string>();
  const { incidents, telemetry } = ctx.repos;

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
      await silences.transition(new Map(hosts.filter((h) => !h.revokedAt).map((h) => [h.id, hostAttributes(h)])), now);
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
    createSilence: silences.createSilence,
    listSilences: silences.listSilences,
    deleteSilence: silences.deleteSilence,
    ...createApprovalService(ctx, breaker),
  };
  return service;
}
export type IncidentService = ReturnType<typeof createIncidentService>;
