/**
 * Synthetic fleet samples for refit tests and benchmarks: correlated daily-load metrics (real model feature names,
 * one constant feature), every 5 minutes, as the telemetry repository stores them.
 */
import { FEATURE_SCHEMA_VERSION } from '../../contract/features/schema.ts';
import { seededRandom } from '../../contract/seeded-random.ts';
import type { SampleRow } from '../../control-plane/store/ports.ts';

const STEP = 300_000;
const DAY = 86_400_000;
/** The features every sample carries. */
export const FLEET_FEATURES = [
  'cpu.util_pct',
  'cpu.user_pct',
  'cpu.load1',
  'mem.used_pct',
  'disk.iops',
  'net.rx_bytes_per_s',
  'net.tx_bytes_per_s',
  'proc.count',
  'services.unhealthy',
];

/** Correlated daily-load metrics of one host, every `stepMs` (default 5 minutes) for `n` samples ending at `end`. */
export function fleetSeries(hostId: string, seed: number, n: number, end: number, stepMs = STEP): SampleRow[] {
  const rnd = seededRandom(seed);
  const noise = () => rnd() - 0.5;
  const rows: SampleRow[] = [];
  for (let i = 0; i < n; i++) {
    const ts = end - (n - 1 - i) * stepMs;
    const load = 0.5 + 0.3 * Math.sin((2 * Math.PI * (ts % DAY)) / DAY) + 0.05 * noise();
    const v = [
      20 + 50 * load + noise(),
      15 + 40 * load + noise(),
      4 * load + 0.1 * noise(),
      60 + noise(),
      100 + 200 * load + 5 * noise(),
      1e6 * load + 1e4 * noise(),
      8e5 * load + 1e4 * noise(),
      300 + Math.round(3 * noise()),
      0,
    ];
    rows.push({
      hostId,
      seq: i + 1,
      ts,
      schema: String(FEATURE_SCHEMA_VERSION),
      features: Object.fromEntries(FLEET_FEATURES.map((f, j) => [f, v[j]!])),
    });
  }
  return rows;
}

/** Stores rows through the telemetry repository, 500 per statement. */
export async function storeSamples(
  telemetry: { insertSamples(rows: SampleRow[]): Promise<number> },
  rows: readonly SampleRow[],
): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) await telemetry.insertSamples(rows.slice(i, i + 500));
}
