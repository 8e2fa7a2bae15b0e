import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { seededRandom } from '../contract/seeded-random.ts';
import { runMvBench } from './mv.ts';

/** A small benchmark directory in SMD/ASD layout: correlated features; in test, one breaks the correlation. */
function dataset(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bench-mv-'));
  for (const sub of ['train', 'test', 'test_label']) mkdirSync(join(dir, sub));
  for (const [e, seed] of [
    ['m-1', 1],
    ['m-2', 2],
  ] as const) {
    const rnd = seededRandom(seed);
    const row = (t: number, broken: boolean) => {
      const load = 0.5 + 0.3 * Math.sin((2 * Math.PI * t) / 96) + 0.02 * rnd();
      return [load, 0.2 + 0.5 * load + 0.01 * rnd(), broken ? 0.9 - load : load * 0.8 + 0.01 * rnd(), 0.5]
        .map((v) => v.toFixed(4))
        .join(',');
    };
    writeFileSync(join(dir, 'train', `${e}.txt`), Array.from({ length: 800 }, (_, t) => row(t, false)).join('\n'));
    const labels = Array.from({ length: 400 }, (_, t) => (t >= 200 && t < 230 ? 1 : 0));
    writeFileSync(join(dir, 'test', `${e}.txt`), labels.map((l, t) => row(800 + t, l === 1)).join('\n'));
    writeFileSync(join(dir, 'test_label', `${e}.txt`), labels.join('\n'));
  }
  return dir;
}

test('bench:mv streams train then test rows through the detector, scores the model beside both baselines', async () => {
  const dir = dataset();
  try {
    const r = await runMvBench({ dataDir: dir, engine: 'js' });
    assert.match(r.model, /^anomaly-multi@6\./);
    assert.deepEqual(
      r.entities.map((e) => e.entity),
      ['m-1', 'm-2'],
    );
    for (const k of [
      'f1Pointwise',
      'f1Composite',
      'f1PointAdjusted',
      'eventRecallAtDefault',
      'precisionAtDefault',
    ] as const)
      assert.ok(r[k] >= 0 && r[k] <= 1, `${k} ${r[k]}`);
    assert.ok(r.falseEpisodesPerDay >= 0 && r.usPerSample > 0);
    for (const b of [r.baselines.zscore, r.baselines.pca]) assert.equal(b.entities.length, 2);
    // the break is found (its values stay in range, so the per-feature z-score does worse)
    assert.ok(r.f1Composite > 0.8, `composite ${r.f1Composite}`);
    assert.equal(r.eventRecallAtDefault, 1);
    assert.ok(r.f1Pointwise > r.baselines.zscore.f1Pointwise!, JSON.stringify(r.baselines.zscore));
    // the reference gives the same figures as the graph on the agent's JS engine
    const ref = await runMvBench({ dataDir: dir, engine: 'reference' });
    assert.ok(Math.abs(ref.f1Pointwise - r.f1Pointwise) < 1e-6 && Math.abs(ref.f1Composite - r.f1Composite) < 1e-6);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
