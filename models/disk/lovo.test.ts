import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readBackblazeCsv } from './backblaze-csv.ts';
import { buildDataset } from './dataset.ts';
import { driveAuc } from './evaluate.ts';
import { leaveOneManufacturerOut, manufacturerOf } from './lovo.ts';

const fixture = new URL('../../test/fixtures/smart/backblaze-sample.csv', import.meta.url).pathname;

test('manufacturer from the model string prefix: bare Seagate models, HGST is Hitachi, bare WD models', () => {
  assert.equal(manufacturerOf('ST31500541AS'), 'SEAGATE');
  assert.equal(manufacturerOf('Seagate BarraCuda'), 'SEAGATE');
  assert.equal(manufacturerOf('Hitachi HDS722020ALA330'), 'HITACHI');
  assert.equal(manufacturerOf('HGST HMS5C4040ALE640'), 'HITACHI');
  assert.equal(manufacturerOf('WDC WD30EFRX'), 'WDC');
  assert.equal(manufacturerOf('WD60EFRX'), 'WDC');
  assert.equal(manufacturerOf('TOSHIBA DT01ACA300'), 'TOSHIBA');
  assert.equal(manufacturerOf(''), 'UNKNOWN');
});

test('drive-level AUC: 1 when every failed drive outranks every healthy one, ties count half', () => {
  const healthyMax = Float64Array.from([0.1, 0.2, 0.3]);
  const lead = (v: number): Float64Array =>
    Float64Array.from([v, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity]);
  assert.equal(driveAuc({ healthyMax, failedByLead: [lead(0.5), lead(0.4)] }), 1);
  assert.equal(driveAuc({ healthyMax, failedByLead: [lead(0.2)] }), 1.5 / 3);
  assert.ok(Number.isNaN(driveAuc({ healthyMax, failedByLead: [] })));
});

test('every drive is scored by a model fitted without its manufacturer; pooled counts every failed drive', async () => {
  const ds = await buildDataset(readBackblazeCsv(fixture));
  const r = leaveOneManufacturerOut(ds, {
    labelLeadDays: 7,
    boost: { trees: 5, l2: 10, minChildHessian: 1 },
    features: ['log_sectors', 'log_sectors_delta7'],
    folds: 5,
    falseAlarmTarget: 0.01,
  });
  assert.deepEqual(
    r.vendors.map((v) => v.vendor),
    ['HITACHI', 'SEAGATE', 'WDC'],
  );
  assert.equal(
    r.vendors.reduce((s, v) => s + v.drives, 0),
    ds.serials.length,
  );
  assert.equal(r.pooled.model.failedDrives, [...ds.failDay].filter((d) => d >= 0).length);
  assert.equal(r.scores.length, ds.n);
});
