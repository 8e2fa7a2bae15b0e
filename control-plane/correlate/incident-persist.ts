/**
 * Persisting the correlator's incident changes: each change stored, openings, resolutions and merges audited, and
 * openings and resolutions notified. A group incident keyed by a policy or model version names the rollout that put
 * the version there.
 */
import type { FleetContext } from '../fleet/context.ts';
import type { Notifier } from '../notify/notifier.ts';
import type { Incident, IncidentChange } from './incident.ts';

type RolloutRef = { id: string; kind: string; version: string; status: string; createdAt: Date } | null;

/** A group incident keyed by a policy or model version names the rollout that put it there ("a rollout that just happened"). */
async function withRollout(ctx: FleetContext, i: Incident, cache: Map<string, RolloutRef>): Promise<Incident> {
  if (i.scope !== 'group') return i;
  const version =
    i.key === 'policyVersion' ? i.value : i.key.startsWith('model.') ? `${i.key.slice(6)}@${i.value}` : null;
  if (!version) return i;
  if (!cache.has(version)) cache.set(version, await ctx.repos.rollouts.latestOfVersion(version));
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

/** Returns `persist(changes)`: stores, audits and notifies the changes in order. */
export function createIncidentPersister(ctx: FleetContext, notifier: Notifier) {
  return async function persist(changes: IncidentChange[]): Promise<void> {
    const cache = new Map<string, RolloutRef>();
    for (const change of changes) {
      const type = change.type;
      const i = await withRollout(ctx, change.incident, cache);
      await ctx.repos.incidents.upsert(i);
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
  };
}
