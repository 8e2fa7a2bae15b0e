/**
 * Live updates from `GET /api/stream` (control-plane/api/stream.ts). One fleet-wide EventSource per tab feeds a small
 * store (latest sample per host, presence, connection state) and invalidates the queries an event makes stale. The host
 * page opens its own `?host=<id>` stream for every sample of one host.
 *
 * The cordon changes the overview's Now strip lists come from the stream's `cordon` events and, for a change this page's
 * stream missed (not open when the feed published it), from the fleet host list's answers (cordon-changes.ts).
 */
import { useEffect, useSyncExternalStore } from 'react';
import { hashKey, type QueryClient } from '@tanstack/react-query';
import { keys } from './api.ts';
import { openSse } from './sse.ts';
import type { Host } from './types.ts';
import { cordonChangeOf, createCordonChanges, type CordonSource } from './cordon-changes.ts';
import type { CordonEvent, SampleEvent, StreamEvent } from '../../../contract/api/stream.ts';

export type { CordonEvent, SampleEvent, StreamEvent };
export type LiveState = {
  connected: boolean;
  error: string | null;
  latest: ReadonlyMap<string, SampleEvent>;
  presence: ReadonlyMap<string, boolean>;
  /** The newest cordon changes seen since the page loaded, from the stream or the host list (newest first, at most
   * {@link CORDONS_KEPT}). */
  cordons: readonly CordonEvent[];
  version: number;
};

const CORDONS_KEPT = 5;
let state: LiveState = {
  connected: false,
  error: null,
  latest: new Map(),
  presence: new Map(),
  cordons: [],
  version: 0,
};
const listeners = new Set<() => void>();
function set(patch: Partial<LiveState>): void {
  state = { ...state, ...patch, version: state.version + 1 };
  for (const l of listeners) l();
}

/** The host list whose answers catch up on cordon changes the stream did not deliver (cordon-changes.ts). */
const CORDON_LIST_KEY = keys.hostList('15m');
const cordonChanges = createCordonChanges();
function noteCordon(e: CordonEvent, from: CordonSource): void {
  if (cordonChanges.changed(e, from)) set({ cordons: [e, ...state.cordons].slice(0, CORDONS_KEPT) });
}

/** The live store: latest sample and presence per host, and whether the stream is connected. */
export function useLive(): LiveState {
  return useSyncExternalStore(
    (fn) => {
      listeners.add(fn);
      return () => void listeners.delete(fn);
    },
    () => state,
  );
}

function invalidateFor(client: QueryClient, e: StreamEvent): void {
  if (e.type !== 'sample') void client.invalidateQueries({ queryKey: keys.recentEvents });
  switch (e.type) {
    case 'presence':
    case 'host':
    case 'cordon':
      void client.invalidateQueries({ queryKey: keys.hosts, exact: true });
      void client.invalidateQueries({ queryKey: keys.hostLists });
      void client.invalidateQueries({ queryKey: keys.host(e.hostId), exact: true });
      break;
    case 'incident':
      void client.invalidateQueries({ queryKey: keys.incidents });
      void client.invalidateQueries({ queryKey: keys.hosts, exact: true });
      void client.invalidateQueries({ queryKey: keys.hostLists });
      break;
    case 'rollout':
      void client.invalidateQueries({ queryKey: keys.rollouts });
      void client.invalidateQueries({ queryKey: keys.models });
      void client.invalidateQueries({ queryKey: keys.policies });
      void client.invalidateQueries({ queryKey: keys.hosts, exact: true });
      void client.invalidateQueries({ queryKey: keys.hostLists });
      break;
    case 'approval':
      void client.invalidateQueries({ queryKey: keys.approvals });
      break;
    case 'action':
      void client.invalidateQueries({ queryKey: keys.events(e.hostId) });
      break;
    case 'sample':
      break;
  }
}

/** Connects the fleet-wide stream while mounted (once signed in); reconnects by itself. */
export function useFleetStream(client: QueryClient, enabled: boolean): void {
  useEffect(() => {
    if (!enabled) return;
    // Host-list answers catch up on cordon changes the stream did not deliver to this page (see the top of this file).
    const listHash = hashKey(CORDON_LIST_KEY);
    const fromList = (data: unknown, at: number) => {
      for (const h of (data as { hosts?: Host[] } | undefined)?.hosts ?? []) noteCordon(cordonChangeOf(h, at), 'list');
    };
    const listed = client.getQueryState(CORDON_LIST_KEY);
    if (listed?.data) fromList(listed.data, listed.dataUpdatedAt);
    const unwatch = client.getQueryCache().subscribe((ev) => {
      if (ev.type === 'updated' && ev.action.type === 'success' && ev.query.queryHash === listHash)
        fromList(ev.query.state.data, ev.query.state.dataUpdatedAt);
    });
    const close = openSse('/api/stream', {
      onOpen() {
        if (!state.connected && state.version > 0) void client.invalidateQueries(); // catch up on anything missed
        set({ connected: true, error: null });
      },
      onError(message) {
        set({ connected: false, error: `Live updates disconnected (${message}); reconnecting…` });
      },
      onEvent(event, data) {
        if (event === 'hello') return;
        if (event === 'overflow') return void client.invalidateQueries();
        if (event === 'samples') {
          const { samples } = JSON.parse(data) as { samples: SampleEvent[] };
          const latest = new Map(state.latest);
          for (const s of samples) latest.set(s.hostId, s);
          return set({ latest });
        }
        const e = JSON.parse(data) as StreamEvent;
        if (e.type === 'presence') {
          const presence = new Map(state.presence);
          presence.set(e.hostId, e.state === 'online');
          set({ presence });
        }
        if (e.type === 'cordon') noteCordon(e, 'stream');
        invalidateFor(client, e);
      },
    });
    return () => {
      unwatch();
      close();
    };
  }, [client, enabled]);
}

/** Calls `onSample` for every live sample of one host while mounted. */
export function useHostStream(hostId: string, onSample: (s: SampleEvent) => void): void {
  useEffect(
    () =>
      openSse(`/api/stream?host=${encodeURIComponent(hostId)}`, {
        onEvent: (event, data) => event === 'sample' && onSample(JSON.parse(data) as SampleEvent),
      }),
    [hostId, onSample],
  );
}
