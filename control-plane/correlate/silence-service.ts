/**
 * Silences and maintenance windows: stored, loaded each round, matched against a host's labels (its events are then
 * dropped), started and expired on schedule (a maintenance window pauses its hosts' actions while on; both audited).
 */
import { randomBytes } from 'node:crypto';
import { NotFoundError } from '../../contract/errors.ts';
import { parseSelector } from '../../contract/label-selector.ts';
import type { FleetContext } from '../fleet/context.ts';
import { pauseHosts } from './fleet-pause.ts';
import type { HostAttributes } from './population.ts';
import { parseSchedule } from './schedule.ts';
import { coveringSilence, planSilenceTransitions, type Silence } from './silences.ts';

/** A new silence/maintenance window as the API accepts it. */
export interface SilenceInput {
  kind: 'silence' | 'maintenance';
  selector: string;
  schedule: unknown;
  reason: string;
  pauseActions?: string[];
}

/** Creates the silence part of the incident service. */
export function createSilenceService(ctx: FleetContext) {
  let silences: Silence[] = [];
  let activeSilences = new Set<string>();

  const load = async () => {
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

  return {
    /** The silence covering a host with `attrs` at `now`, if any (as of the last load). */
    covering(attrs: HostAttributes, now: number) {
      return coveringSilence(silences, attrs, now);
    },
    /** Reloads the silences and applies the round's starts (audited; maintenance pauses its hosts) and expiries. */
    async transition(labels: Map<string, HostAttributes>, now: number): Promise<void> {
      await load();
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
            ctx,
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
    },
    async createSilence(input: SilenceInput, by: string): Promise<Silence> {
      parseSelector(input.selector);
      const schedule = parseSchedule(input.schedule);
      const s: Silence = {
        id: `sil-${randomBytes(6).toString('hex')}`,
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
      await load();
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
  };
}

/** The silence part of the incident service. */
export type SilenceService = ReturnType<typeof createSilenceService>;
