import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onModel, scoreFigures } from './score-figures.ts';

test('anomaly score mean and p95 and latency p95 come from the samples that carry them', () => {
  const samples: Record<string, unknown>[] = Array.from({ length: 20 }, (_, i) => ({
    anomaly: { score: i === 19 ? 1 : 0.1, model: 'anomaly-multi@4.0.0', top: [], latencyUs: (i + 1) * 1000 },
  }));
  samples.push({ disks: [] }, { anomaly: { score: 'x' } });
  const f = scoreFigures(samples);
  assert.equal(f.anomalyScore?.samples, 20);
  assert.ok(Math.abs(f.anomalyScore!.mean - (19 * 0.1 + 1) / 20) < 1e-12);
  assert.equal(f.anomalyScore?.p95, 1, 'nearest rank: the 20th of 20');
  assert.equal(f.latencyP95Ms, 20);
});

test('no scored samples: no figures (not zeros)', () => {
  assert.deepEqual(scoreFigures([]), { anomalyScore: null, latencyP95Ms: null });
  assert.deepEqual(scoreFigures([{ anomaly: { score: 0.5, model: 'm', top: [] } }]), {
    anomalyScore: { mean: 0.5, p95: 0.5, samples: 1 },
    latencyP95Ms: null,
  });
});

test("a canary's figures: only the new version's samples, after each host's first cycles on it", () => {
  const row = (hostId: string, ts: number, model: string, latencyUs: number) => ({
    hostId,
    ts,
    scores: { anomaly: { score: 0.1, model, top: [], latencyUs } },
  });
  const rows = [
    row('a', 1, 'm@1', 100), // before the switch: the old version's
    row('a', 2, 'm@2', 60_000), // cold start
    row('a', 3, 'm@2', 200),
    row('b', 2, 'm@2', 50_000),
    row('b', 4, 'm@2', 300),
    row('c', 5, 'disk@2', 1),
  ].reverse(); // the repository answers newest first
  assert.deepEqual(
    onModel(rows, 'm@2', 1).map((s) => (s['anomaly'] as { latencyUs: number }).latencyUs),
    [200, 300],
  );
  assert.equal(scoreFigures(onModel(rows, 'm@2', 1)).latencyP95Ms, 0.3);
  assert.deepEqual(onModel(rows, 'm@3'), []);
});
