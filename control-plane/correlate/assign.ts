/** An incident's assignee: who handles it. Pure; the correlator and the service's stored-copy path share it. */
import type { Incident } from './incident.ts';

/** The fields that change when `by` assigns `i` to `assignee` (null: nobody) at `now`; a note records it. */
export function assigned(
  i: Incident,
  assignee: string | null,
  by: string,
  now: number,
): Pick<Incident, 'assignee' | 'notes' | 'updatedAt'> {
  const text = assignee ? `assigned to ${assignee}` : `unassigned${i.assignee ? ` (was ${i.assignee.name})` : ''}`;
  return {
    assignee: assignee ? { name: assignee, by, at: now } : null,
    notes: [...i.notes, { by, at: now, text }],
    updatedAt: now,
  };
}
