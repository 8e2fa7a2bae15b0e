/**
 * Fleet incidents (correlate/). The full document lives in a JSON column and is parsed with {@link IncidentSchema} on
 * read; status, severity and times are columns too, for filters and ordering.
 */
import { z } from 'zod';
import type { Incident } from '../correlate/incident.ts';
import { IncidentCondition, IncidentResolution, RootCauseHint } from '../../contract/api/incidents.ts';

/** The stored hint is the API's hint (contract/api/incidents.ts). */
const HintSchema = RootCauseHint;

/**
 * The stored incident document; `rollouts` is added by the shell to version-keyed group incidents. Loose: fields a
 * newer correlator adds survive a read-modify-write by this one.
 */
export const IncidentSchema = z.looseObject({
  id: z.string(),
  status: z.enum(['open', 'resolved', 'merged']),
  scope: z.enum(['group', 'host']),
  key: z.string(),
  value: z.string(),
  severity: z.enum(['info', 'warning', 'critical']),
  hosts: z.array(z.string()),
  signatures: z.array(z.string()),
  eventCount: z.number(),
  eventIds: z.array(z.string()),
  firstEventAt: z.number(),
  openedAt: z.number(),
  updatedAt: z.number(),
  lastEventAt: z.number(),
  resolvedAt: z.number().nullable(),
  mergedInto: z.string().nullable(),
  suppressed: z.boolean(),
  hint: HintSchema,
  acknowledged: z.object({ by: z.string(), at: z.number() }).nullable(),
  assignee: z.object({ name: z.string(), by: z.string(), at: z.number() }).nullable().optional(),
  notes: z.array(z.object({ by: z.string(), at: z.number(), text: z.string() })),
  title: z.string(),
  rollouts: z.array(z.object({ id: z.string(), kind: z.string(), version: z.string() })).optional(),
  conditions: z.array(IncidentCondition).optional(),
  lastPointEventAt: z.number().optional(),
  resolution: IncidentResolution.nullable().optional(),
});
const _incident: z.ZodType<Incident> = IncidentSchema;
void _incident;

/** The columns the UI stream compares between polls. */
export interface IncidentSummary {
  id: string;
  status: string;
  title: string;
  updatedAt: Date;
}

export interface IncidentRepository {
  /** Creates or replaces the incident (document and columns). */
  upsert(i: Incident): Promise<void>;
  get(id: string): Promise<Incident | null>;
  /** Newest opened first; `limit` unset = all. */
  list(filter?: { status?: string; limit?: number }): Promise<Incident[]>;
  /** Summaries of the incidents with a status and/or among ids (no documents parsed). */
  summaries(filter: { status?: string; ids?: string[] }): Promise<IncidentSummary[]>;
  count(status: string): Promise<number>;
}
