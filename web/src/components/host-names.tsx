/**
 * Host ids (agent ids) in words: `useHostNames()` maps an id to its hostname from the host list the UI already loads,
 * and rewrites any text that mentions ids (incident titles, causes, approvals) with the hostnames instead.
 */
import { useMemo } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api, keys } from '../api/api.ts';

export type HostNames = {
  /** The hostname of an id, or the id itself when the host is unknown. */
  name(id: string): string;
  /** `text` with every known host id replaced by its hostname. */
  humanize(text: string): string;
};

/** Replaces the ids of `names` in `text` (longest first, so no id's prefix of another wins). */
export function replaceIds(text: string, names: ReadonlyMap<string, string>, ids: readonly string[]): string {
  let out = text;
  for (const id of ids) if (out.includes(id)) out = out.split(id).join(names.get(id)!);
  return out;
}

export function useHostNames(): HostNames {
  // The fleet page's own query (same key): on the first page load the host list is fetched once, not twice.
  const hosts = useQuery({ queryKey: keys.hostList('15m'), queryFn: () => api.hostList('15m'), staleTime: 30_000 });
  return useMemo(() => {
    const names = new Map((hosts.data?.hosts ?? []).map((h) => [h.id, h.hostname]));
    const ids = [...names.keys()].sort((a, b) => b.length - a.length);
    return {
      name: (id) => names.get(id) ?? id,
      humanize: (text) => replaceIds(text, names, ids),
    };
  }, [hosts.data]);
}
