import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitTrees } from './boost.ts';
import { treeProbability } from './trees.ts';

test('boosted depth-2 trees learn an interaction (x0 > 1 and x1 > 0) that no single split captures', () => {
  const n = 4000;
  const k = 3;
  const x = new Float32Array(n * k);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const a = (i % 40) / 10; // 0..3.9
    const b = (Math.floor(i / 40) % 10) - 5; // -5..4
    x.set([a, b, i % 7], i * k);
    y[i] = a > 1 && b > 0 ? 1 : 0;
  }
  const m = fitTrees(
    x,
    k,
    y,
    Int32Array.from({ length: n }, (_, i) => i),
    { trees: 40, learningRate: 0.3 },
  );
  let errors = 0;
  for (let i = 0; i < n; i++) if ((treeProbability(m, x.subarray(i * k, i * k + k)) > 0.5 ? 1 : 0) !== y[i]) errors++;
  assert.equal(errors, 0);
  assert.ok([...m.rootThreshold].every((t) => Math.fround(t) === t));
});

test('positive weighting changes the fit, not the base rate: the bias is corrected by log(positiveWeight)', () => {
  const n = 1000;
  const x = new Float32Array(n).fill(1); // one constant feature: nothing to split on, the bias is the whole model
  const y = Uint8Array.from({ length: n }, (_, i) => (i < 50 ? 1 : 0));
  const rows = Int32Array.from({ length: n }, (_, i) => i);
  for (const positiveWeight of [1, 5, 20]) {
    const m = fitTrees(x, 1, y, rows, { trees: 3, positiveWeight });
    assert.equal(m.rootFeature.length, 0);
    assert.ok(Math.abs(treeProbability(m, [1]) - 0.05) < 1e-6, `positiveWeight ${positiveWeight}`);
  }
});
