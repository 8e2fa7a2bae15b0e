/**
 * The fleet overview's per-host facts in one statement (index seeks per host): the highest anomaly score since a
 * time, the newest anomaly alert event (`anomaly.started` / `anomaly.ended`), and from the newest sample its
 * `services.unhealthy`, its highest disk failure probability and its failed collectors. SQL for both dialects (SQLite json_extract, PostgreSQL jsonb operators).
 */
import type { HostOverview } from './ports.ts';

/** The statement; `sinceMs` is inlined as an integer, `one` adds a host-id parameter. */
export function overviewSql(pg: boolean, sinceMs: number, one: boolean): string {
  const since = Math.max(0, Math.floor(sinceMs));
  const num = (col: string, path: string[]) =>
    pg
      ? `CASE WHEN jsonb_typeof(${col}${path.map((p) => `->'${p}'`).join('')}) = 'number' THEN (${col}${path
          .slice(0, -1)
          .map((p) => `->'${p}'`)
          .join('')}->>'${path.at(-1)}')::float8 END`
      : // REAL: Prisma types a raw column by its first row, so an integer 0 first would truncate 0.95 to 0
        `CAST(json_extract(${col}, '$.${path.map((p) => `"${p}"`).join('.')}') AS REAL)`;
  const alert = (col: string) =>
    `(SELECT ${col} FROM "Event" e WHERE e."hostId" = h."id" AND e."type" IN ('anomaly.started', 'anomaly.ended') ORDER BY e."ts" DESC, e."seq" DESC LIMIT 1)`;
  return (
    `SELECT h."id" AS "hostId", ` +
    `(SELECT MAX(${num('s."scores"', ['anomaly', 'score'])}) FROM "Sample" s WHERE s."hostId" = h."id" AND s."ts" >= ${since}) AS "peak", ` +
    `${alert('e."type"')} AS "alertType", ${alert('e."ts"')} AS "alertTs", ${alert(pg ? 'e."data"::text' : 'e."data"')} AS "alertData", ` +
    `(SELECT ${num('s."features"', ['services.unhealthy'])} FROM "Sample" s WHERE s."hostId" = h."id" ORDER BY s."ts" DESC LIMIT 1) AS "unhealthy", ` +
    `${diskRiskSql(pg)} AS "diskRisk", ${failedCollectorsSql(pg)} AS "failedCollectors" ` +
    `FROM "Host" h${one ? ` WHERE h."id" = ${pg ? '$1' : '?'}` : ''}`
  );
}

/** The newest sample's `col`, as a one-row derived table `n(v)`. */
const newest = (col: string) =>
  `(SELECT s."${col}" AS v FROM "Sample" s WHERE s."hostId" = h."id" ORDER BY s."ts" DESC LIMIT 1) n`;

/** The highest `scores.disks[].probability` of the newest sample (null: no disk scored). */
function diskRiskSql(pg: boolean): string {
  return pg
    ? `(SELECT MAX(CASE WHEN jsonb_typeof(d->'probability') = 'number' THEN (d->>'probability')::float8 END) FROM ${newest('scores')}, ` +
        `jsonb_array_elements(CASE WHEN jsonb_typeof(n.v->'disks') = 'array' THEN n.v->'disks' ELSE '[]'::jsonb END) d)`
    : `(SELECT MAX(CAST(json_extract(d.value, '$.probability') AS REAL)) FROM ${newest('scores')}, ` +
        `json_each(n.v, '$.disks') d WHERE json_type(n.v, '$.disks') = 'array')`;
}

/** Collector statuses that mean a failure, not an absence (agent/collect/engine.ts: an error, a time-out, a hang). */
const FAILED = (col: string) =>
  `(${col} LIKE 'unavailable: error:%' OR ${col} LIKE 'unavailable: timed out%' OR ${col} LIKE '%(hung)')`;

/** The names of the newest sample's failed collectors, comma-separated, in name order (null: none). */
function failedCollectorsSql(pg: boolean): string {
  return pg
    ? `(SELECT string_agg(c.key, ',' ORDER BY c.key) FROM ${newest('collectors')}, ` +
        `jsonb_each_text(CASE WHEN jsonb_typeof(n.v) = 'object' THEN n.v ELSE '{}'::jsonb END) c WHERE ${FAILED('c.value')})`
    : `(SELECT group_concat(k, ',') FROM (SELECT c.key AS k FROM ${newest('collectors')}, json_each(n.v) c ` +
        `WHERE json_type(n.v) = 'object' AND ${FAILED('c.value')} ORDER BY c.key))`;
}

export type OverviewRow = {
  hostId: string;
  peak: unknown;
  alertType: string | null;
  alertTs: bigint | number | null;
  alertData: unknown;
  unhealthy: unknown;
  diskRisk: unknown;
  failedCollectors: string | null;
};

const finite = (v: unknown): number | null => {
  const n = typeof v === 'number' || typeof v === 'bigint' ? Number(v) : null;
  return n !== null && Number.isFinite(n) ? n : null;
};

/** A row as the port's {@link HostOverview}. */
export function toOverview(r: OverviewRow): HostOverview {
  let alert: HostOverview['alert'] = null;
  if ((r.alertType === 'anomaly.started' || r.alertType === 'anomaly.ended') && r.alertTs !== null) {
    let data: Record<string, unknown> = {};
    try {
      const d = typeof r.alertData === 'string' ? JSON.parse(r.alertData) : r.alertData;
      if (d && typeof d === 'object' && !Array.isArray(d)) data = d as Record<string, unknown>;
    } catch {
      /* a malformed stored data object: the alert still counts, without its figures */
    }
    alert = {
      type: r.alertType,
      ts: Number(r.alertTs),
      peak: finite(data['peak']),
      startedAt: finite(data['startedAt']),
    };
  }
  return {
    hostId: r.hostId,
    peak: finite(r.peak),
    alert,
    servicesUnhealthy: finite(r.unhealthy),
    diskRisk: finite(r.diskRisk),
    failedCollectors: r.failedCollectors ? r.failedCollectors.split(',') : [],
  };
}
