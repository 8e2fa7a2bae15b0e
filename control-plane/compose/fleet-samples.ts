/**
 * The fleet's stored samples as a refit source (models/multivariate/fleet-fit.ts): the hosts a label selector picks
 * (as rollouts pick them: labels plus `hostname`, revoked hosts left out), each with the range of its samples in the
 * window, and each host's samples read page by page through the telemetry repository (keyset cursor), so memory
 * holds one page, never the window.
 */
import { RefitDataError } from '../../contract/errors.ts';
import { matchesSelector, parseSelector } from '../../contract/label-selector.ts';
import type { FleetHost, FleetSample, FleetSampleSource } from '../../models/multivariate/fleet-fit.ts';
import type { HostRepository, TelemetryRepository } from '../store/ports.ts';

/** Samples per page read from the database; between pages the reader yields to the event loop (a refit running in
 * the control plane blocks ingest and HTTP for one page's worth of model steps at most). */
export const SAMPLE_PAGE = 1000;

/** The hosts matching `selector` with samples in [since, until); throws RefitDataError when none match or none has
 * samples. `signal` ends the reading between pages (the control plane stopping). */
export async function storeSampleSource(
  repos: { hosts: HostRepository; telemetry: TelemetryRepository },
  selector: string,
  since: number,
  until: number,
  signal?: AbortSignal,
): Promise<FleetSampleSource & { matched: number }> {
  const reqs = parseSelector(selector);
  const matched = (await repos.hosts.list()).filter(
    (h) => !h.revokedAt && matchesSelector(reqs, { ...h.labels, hostname: h.hostname }),
  );
  if (matched.length === 0) throw new RefitDataError(`the selector '${selector}' matches no enrolled host`, 'no-hosts');
  const hosts: FleetHost[] = [];
  for (const h of matched.sort((a, b) => a.id.localeCompare(b.id))) {
    const [first] = await repos.telemetry.listSamples(h.id, { since, until, limit: 1, order: 'asc' });
    if (!first) continue;
    const [last] = await repos.telemetry.listSamples(h.id, { since, until, limit: 1, order: 'desc' });
    const features = Object.keys(first.features).filter((k) => typeof first.features[k] === 'number');
    hosts.push({ id: h.id, firstTs: first.ts, lastTs: last!.ts, features });
  }
  if (hosts.length === 0)
    throw new RefitDataError(
      `no samples from ${new Date(since).toISOString()} to ${new Date(until).toISOString()} on the ${matched.length} host(s) matching '${selector}'`,
      'no-samples',
    );
  return {
    hosts,
    matched: matched.length,
    async *read(hostId: string, from: number, to: number): AsyncIterable<FleetSample> {
      let cursor: { ts: number; seq: number } | undefined;
      for (;;) {
        signal?.throwIfAborted();
        const page = await repos.telemetry.listSamples(hostId, {
          since: from,
          until: to,
          limit: SAMPLE_PAGE,
          order: 'asc',
          ...(cursor ? { cursor } : {}),
        });
        for (const s of page) yield { ts: s.ts, features: s.features };
        if (page.length < SAMPLE_PAGE) return;
        await new Promise<void>((resolve) => setImmediate(resolve));
        const tail = page[page.length - 1]!;
        cursor = { ts: tail.ts, seq: tail.seq };
      }
    },
  };
}
