import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { alertBands } from './alert-bands.ts';

const ev = (ts: number, type: string, data: Record<string, unknown> = {}) => ({ ts, type, data });

describe('alertBands', () => {
  it('pairs started (from startedAt) with the next ended, in seconds', () => {
    assert.deepEqual(
      alertBands([ev(9000, 'anomaly.ended'), ev(5000, 'anomaly.started', { startedAt: 4000 })], 0, 20_000),
      [[4, 9]],
    );
  });
  it('clips an episode begun before the window and one still on at its end', () => {
    assert.deepEqual(alertBands([ev(3000, 'anomaly.ended'), ev(8000, 'anomaly.started')], 2000, 10_000), [
      [2, 3],
      [8, 10],
    ]);
  });
  it('no events, no bands', () => {
    assert.deepEqual(alertBands([], 0, 1), []);
  });
});
