import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readBackblazeCsv } from './backblaze-csv.ts';
import { buildDataset } from './dataset.ts';
import { SELECTION_CANDIDATES, bestCandidate, nestedLeaveOneManufacturerOut } from './lovo-select.ts';
import { DEFAULT_TRAIN_CONFIG, type DiskTrainConfig } from './train.ts';

const fixture = new URL('../../test/fixtures/smart/backblaze-sample.csv', import.meta.url).pathname;

test('candidate ranking: fewest manufacturers below the rule, then largest margin, then the earlier candidate', () => {
  const c = (candidate: number, belowRule: number, margin: number) => ({ candidate, belowRule, margin });
  assert.equal(bestCandidate([c(0, 1, 9), c(1, 0, -2)]), 1);
  assert.equal(bestCandidate([c(0, 0, 1), c(1, 0, 3)]), 1);
  assert.equal(bestCandidate([c(0, 0, 2), c(1, 0, 2)]), 0);
});

test('nested selection scores every drive with a recipe chosen without its manufacturer', async () => {
  const ds = await buildDataset(readBackblazeCsv(fixture));
  const base: DiskTrainConfig = {
    labelLeadDays: 7,
    boost: { trees: 4, l2: 10, minChildHessian: 1 },
    features: ['log_sectors', 'log_sectors_delta7'],
    folds: 5,
    falseAlarmTarget: 0.01,
  };
  const r = nestedLeaveOneManufacturerOut(ds, [base, { ...base, ruleTrees: 2 }, { ...base, ruleSlope: 0.5 }]);
  assert.deepEqual(
    r.vendors.map((v) => v.vendor),
    ['HITACHI', 'SEAGATE', 'WDC'],
  );
  for (const v of r.vendors) assert.ok([0, 1, 2].includes(v.chosen));
  assert.equal(r.pooled.model.failedDrives, [...ds.failDay].filter((d) => d >= 0).length);
  assert.equal(r.scores.length, ds.n);
});

test('selection candidates: the shipped recipe first, every one with its capped rule term, only weight and slope vary', () => {
  assert.deepEqual(SELECTION_CANDIDATES[0], DEFAULT_TRAIN_CONFIG);
  for (const c of SELECTION_CANDIDATES) {
    assert.equal(c.ruleCap, DEFAULT_TRAIN_CONFIG.ruleCap);
    assert.ok((c.ruleSlope ?? 0) > 0);
    assert.deepEqual(
      { ...c, ruleSlope: 0, boost: { ...c.boost, positiveWeight: 0 } },
      { ...DEFAULT_TRAIN_CONFIG, ruleSlope: 0, boost: { ...DEFAULT_TRAIN_CONFIG.boost, positiveWeight: 0 } },
    );
  }
});
