import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explain, topIndices } from './anomaly-detector.ts';

describe('topIndices', () => {
  it('returns the k largest positive values, largest first, lower index first on ties', () => {
    assert.deepEqual(topIndices([0.1, 0, 0.5, 0.2, 0.5, -1, 0.05], 3), [2, 4, 3]);
    assert.deepEqual(topIndices([0, 0, 0], 2), []);
    assert.deepEqual(topIndices(new Float32Array([0.3, 0.7]), 5), [1, 0]);
    assert.deepEqual(topIndices([Number.NaN, 0.4, 0.9, 0.1, 0.95], 2), [4, 2]);
  });
});

describe('explain', () => {
  it('says how many times its usual a feature is', () => {
    assert.equal(
      explain({ feature: 'disk.sda.await_ms', contribution: 0.9, ratio: 14.2, value: 44, usual: 3.1 }),
      'disk.sda.await_ms 14x its usual (usual 3.1, now 44.0)',
    );
    assert.equal(
      explain({ feature: 'cpu.util_pct', contribution: 0.9, ratio: null, value: 5, usual: 0 }),
      'cpu.util_pct away from its usual (usual 0.0, now 5.0)',
    );
  });
});

describe('anomaly detector: feature columns and state (shipped model, JS engine)', async () => {
  const { createAnomalyDetector } = await import('./anomaly-detector.ts');
  const { createJsEngine } = await import('./js-engine.ts');
  const { readModelFile } = await import('./model-file.ts');
  const { SHIPPED_MODELS } = await import('./inference.ts');
  const { decodeF32 } = await import('./stateful-model.ts');
  const PERFEATURE_MODEL = SHIPPED_MODELS.anomaly.replace('anomaly-multi', 'anomaly-perfeature'); // 4.0.0 layout
  const file = await readModelFile(PERFEATURE_MODEL);
  const session = await createJsEngine().load(file.bytes);
  const T0 = Date.UTC(2026, 11, 2);
  /** Column `name` of every per-feature state row, from a saved state. */
  const column = (saved: ReturnType<ReturnType<typeof createAnomalyDetector>['save']>, name: string): number[] => {
    const F = saved.names.length;
    const j = saved.names.indexOf(name);
    const data = Array.from(decodeF32(saved.state['fstate']!.f32!)!);
    return Array.from({ length: data.length / F }, (_, r) => data[r * F + j]!);
  };

  it('places names in first-seen order, turns away excluded names and those beyond maxFeatures, for good', async () => {
    const d = createAnomalyDetector(file.card, session, { maxFeatures: 3, include: (n) => !n.startsWith('skip.') });
    await d.step({ a: 1, 'skip.x': 5, b: 2 }, T0);
    assert.deepEqual(d.names, ['a', 'b']);
    await d.step({ a: 1, b: 2, c: 3, e: 4 }, T0 + 10_000);
    assert.deepEqual(d.names, ['a', 'b', 'c']);
    await d.step({ e: 4, f: 5, a: 1 }, T0 + 20_000);
    assert.deepEqual(d.names, ['a', 'b', 'c'], 'no room: e and f stay out, even when room would be asked for again');
  });

  it('a new feature joins without disturbing the learnt columns; a missing one keeps its state', async () => {
    const d = createAnomalyDetector(file.card, session);
    for (let i = 0; i < 50; i++) await d.step({ a: 10 + (i % 3), b: 100 + (i % 5) }, T0 + i * 10_000);
    const before = d.save();
    await d.step({ a: 11, b: 101, c: 7 }, T0 + 50 * 10_000);
    const grown = d.save();
    assert.deepEqual(grown.names, ['a', 'b', 'c']);
    assert.equal(column(grown, 'c')[5], 1, 'the new column has seen one sample (row 5: n)');
    assert.equal(column(grown, 'a')[5], column(before, 'a')[5]! + 1, "a's sample count carries on");
    await d.step({ a: 12, c: 7 }, T0 + 51 * 10_000);
    assert.deepEqual(column(d.save(), 'b'), column(grown, 'b'), 'b was missing: its state is kept as it was');
  });

  it('a saved state restores the same detector: the next scores are identical', async () => {
    const a = createAnomalyDetector(file.card, session);
    for (let i = 0; i < 40; i++) await a.step({ x: 5 + Math.sin(i), y: 50 }, T0 + i * 10_000);
    const b = createAnomalyDetector(file.card, session, {}, a.save());
    assert.deepEqual(b.names, ['x', 'y']);
    for (let i = 40; i < 45; i++) {
      const reading = { x: i === 43 ? 90 : 5 + Math.sin(i), y: 50 };
      assert.deepEqual(await b.step(reading, T0 + i * 10_000), await a.step(reading, T0 + i * 10_000));
    }
  });
});
