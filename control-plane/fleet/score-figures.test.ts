import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scoreFigures } from './score-figures.ts';

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
