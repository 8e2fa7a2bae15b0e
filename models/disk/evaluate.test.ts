import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDataset } from './dataset.ts';
import { evaluateAt, foldOf, median, summarize, thresholdForFalseAlarms } from './evaluate.ts';
import type { BackblazeRow } from './backblaze-csv.ts';

/** 1 failing drive F (fails on day 10) and healthy drives H0..H9 over days 1..10. */
async function tiny() {
  const rows: BackblazeRow[] = [];
  for (let d = 1; d <= 10; d++) {
    const date = `2020-01-${String(d).padStart(2, '0')}`;
    rows.push({
      date,
      serial: 'F',
      model: 'ST1',
      failure: d === 10 ? 1 : 0,
      reading: { attributes: { 5: d >= 5 ? 50 : 0 } },
    });
    for (let h = 0; h < 10; h++)
      rows.push({ date, serial: `H${h}`, model: 'ST1', failure: 0, reading: { attributes: { 5: h } } });
  }
  return buildDataset(rows);
}

test('recall counts flags 1..7 days before failure; lead is the earliest; false alarms are per healthy drive', async () => {
  const ds = await tiny();
  const s = summarize(ds, ds.baseline);
  const e = evaluateAt(s, 8); // healthy H9 (value 9) is flagged; F flagged from day 5 = 5 days before
  assert.equal(e.failedDrives, 1);
  assert.equal(e.detected, 1);
  assert.equal(e.medianLeadDays, 5);
  assert.equal(e.flaggedHealthy, 1);
  assert.equal(e.falseAlarmRate, 0.1);
  assert.equal(evaluateAt(s, 50).detected, 0); // only day-10 rows... none > 50
});

test('a flag only on the failure day (lead 0) does not count', async () => {
  const ds = await tiny();
  const scores = Float64Array.from({ length: ds.n }, (_, i) => (ds.failDay[ds.drive[i]!]! === ds.day[i]! ? 1 : 0));
  assert.equal(evaluateAt(summarize(ds, scores), 0.5).detected, 0);
});

test('threshold for a false-alarm target flags at most that share of healthy drives', async () => {
  const ds = await tiny();
  const s = summarize(ds, ds.baseline);
  const t = thresholdForFalseAlarms(s, 0.2);
  assert.equal(t, 7);
  assert.equal(evaluateAt(s, t).flaggedHealthy, 2);
  assert.equal(evaluateAt(s, thresholdForFalseAlarms(s, 0)).flaggedHealthy, 0);
});

test('median and fold helpers', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  assert.ok(Number.isNaN(median([])));
  assert.equal(foldOf('W1F03B3X', 5), foldOf('W1F03B3X', 5));
  const counts = [0, 0, 0, 0, 0];
  for (let i = 0; i < 1000; i++) counts[foldOf(`S${i}`, 5)]!++;
  assert.ok(
    counts.every((c) => c > 150),
    JSON.stringify(counts),
  );
});
