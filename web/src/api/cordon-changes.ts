/**
 * Which cordon changes the overview's Now strip tells of (components/now-strip.tsx), from two sources: the live stream's
 * `cordon` event and the fleet host list. The stream's event is published once, by the stream feed's poll
 * (control-plane/api/stream-feed.ts), to the streams open at that moment: a page whose stream was not open then (still
 * connecting after the page loaded, reconnecting, or refetching after an overflow) never receives it, while its badge,
 * count and filter, read from the refetched host list, do show the change. So both sources go through one record of
 * the cordon state the page last saw per host: whichever tells of a change first adds it, the other then finds nothing
 * new. A host list's first word on a host only takes stock (the strip tells of changes since the page loaded); the
 * stream's word is always a change.
 */
import type { CordonEvent } from '../../../contract/api/stream.ts';
import type { Host } from './types.ts';

export type CordonSource = 'stream' | 'list';

/** The state a host is seen in: '' when not cordoned, else who, from where and why. */
const stateOf = (c: Pick<CordonEvent, 'cordoned' | 'source' | 'by' | 'reason'>): string =>
  c.cordoned ? JSON.stringify([c.source, c.by, c.reason]) : '';

/** The cordon change a host-list row shows, timed at its cordon (or at `seenAt`, when the list was read, if lifted). */
export function cordonChangeOf(h: Pick<Host, 'id' | 'cordon'>, seenAt: number): CordonEvent {
  const c = h.cordon;
  return {
    type: 'cordon',
    hostId: h.id,
    cordoned: c !== null,
    source: c?.source ?? null,
    by: c?.by ?? null,
    reason: c?.reason ?? null,
    ts: c ? Date.parse(c.at) : seenAt,
  };
}

/** Per host, the cordon state last seen; `changed` says whether `e` from `from` is news to show. */
export function createCordonChanges() {
  const seen = new Map<string, string>();
  return {
    changed(e: CordonEvent, from: CordonSource): boolean {
      const now = stateOf(e);
      const was = seen.get(e.hostId);
      seen.set(e.hostId, now);
      return was !== now && (was !== undefined || from === 'stream');
    },
  };
}
