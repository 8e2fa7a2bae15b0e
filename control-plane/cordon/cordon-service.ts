/**
 * Host cordons (docs/fleet.md "Cordoned hosts"): an operator cordons or uncordons a host by id; an agent asks for its
 * own cordon with a `heal.cordon` event, applied by ingest with the batch that stores it. A cordoned host keeps running
 * and reporting; rollouts leave it out when they pick a wave's hosts (fleet/cordon-skip.ts). Idempotent both ways:
 * cordoning a cordoned host keeps the first who/why/since, uncordoning an uncordoned one changes nothing.
 */
import { ConflictError } from '../../contract/errors.ts';
import { CORDON_EVENT, type EventRow, type HostRecord, type HostRepository } from '../store/ports.ts';

/** What a cordon or uncordon did: the host as it is now, and whether this call changed it. */
export type CordonOutcome = { host: HostRecord; changed: boolean };

/** Creates the service over the host repository; `now` defaults to Date.now. */
export function createCordonService(opts: { hosts: HostRepository; now?: () => number }) {
  const now = opts.now ?? Date.now;
  return {
    /** Cordons a host for `reason` as user `by`; NotFoundError for an unknown host, ConflictError for a revoked one. */
    async cordon(id: string, by: string, reason: string): Promise<CordonOutcome> {
      const h = await opts.hosts.get(id);
      if (h?.revokedAt)
        throw new ConflictError(
          `host '${id}' is revoked: it receives nothing, a cordon would not change that`,
          'host-revoked',
        );
      return opts.hosts.cordon(id, { at: new Date(now()), by, source: 'user', reason });
    },
    /** Lifts a host's cordon (whoever set it); NotFoundError for an unknown host. */
    uncordon(id: string): Promise<CordonOutcome> {
      return opts.hosts.uncordon(id, new Date(now()));
    },
    /** Applies the `heal.cordon` events among committed rows; returns the ones that cordoned their host. */
    async fromEvents(rows: readonly EventRow[]): Promise<EventRow[]> {
      const cordoned: EventRow[] = [];
      for (const e of rows)
        if (e.type === CORDON_EVENT && (await opts.hosts.cordonFromEvent(e.hostId, e.seq))) cordoned.push(e);
      return cordoned;
    },
  };
}
export type CordonService = ReturnType<typeof createCordonService>;
