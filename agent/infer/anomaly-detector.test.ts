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
    assert.equal(explain({ feature: 'disk.sda.await_ms', contribution: 0.9, ratio: 14.2, value: 44, usual: 3.1 }), 'disk.sda.await_ms 14x its usual (usual 3.1, now 44.0)');
    assert.equal(explain({ feature: 'cpu.util_pct', contribution: 0.9, ratio: null, value: 5, usual: 0 }), 'cpu.util_pct away from its usual (usual 0.0, now 5.0)');
  });
});
