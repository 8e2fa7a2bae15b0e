/**
 * Prometheus text exposition (format 0.0.4) of the control plane's counters and gauges. Dotted counter names become
 * `homeostat_<name>_total`; names with a reason segment after refused/rejected/shed/dropped/failed become one family
 * with a `reason` label, e.g. `broker.publish.refused.acl` → `homeostat_broker_publish_refused_total{reason="acl"}`.
 * Gauges become `homeostat_<name>`. Ingest rate = `rate(homeostat_ingest_samples_accepted_total[1m])`.
 */

const REASON = /^(.*?\.(?:refused|rejected|shed|dropped|failed))\.(.+)$/;

function metricName(name: string): string {
  return `homeostat_${name.replace(/[^A-Za-z0-9_]/g, '_').replace(/_+/g, '_')}`;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function fmt(v: number): string {
  return Number.isFinite(v) ? String(v) : v > 0 ? '+Inf' : v < 0 ? '-Inf' : 'NaN';
}

/** Renders counters and gauges; families sorted by name, one HELP/TYPE header each. */
export function renderPrometheus(
  counters: Record<string, number>,
  gauges: Record<string, number>,
  help: Record<string, string> = {},
): string {
  const families = new Map<
    string,
    { type: 'counter' | 'gauge'; source: string; samples: { labels: string; value: number }[] }
  >();
  const add = (family: string, type: 'counter' | 'gauge', source: string, labels: string, value: number) => {
    const f = families.get(family) ?? families.set(family, { type, source, samples: [] }).get(family)!;
    f.samples.push({ labels, value });
  };
  for (const [name, value] of Object.entries(counters)) {
    const m = name.match(REASON);
    if (m) add(`${metricName(m[1]!)}_total`, 'counter', m[1]!, `{reason="${escapeLabel(m[2]!)}"}`, value);
    else add(`${metricName(name)}_total`, 'counter', name, '', value);
  }
  for (const [name, value] of Object.entries(gauges)) add(metricName(name), 'gauge', name, '', value);
  const out: string[] = [];
  for (const [family, f] of [...families].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out.push(`# HELP ${family} ${help[f.source] ?? `Homeostat ${f.type} ${f.source}`}`);
    out.push(`# TYPE ${family} ${f.type}`);
    for (const s of f.samples.sort((a, b) => (a.labels < b.labels ? -1 : 1)))
      out.push(`${family}${s.labels} ${fmt(s.value)}`);
  }
  return out.join('\n') + '\n';
}

/** Content type of the exposition. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
