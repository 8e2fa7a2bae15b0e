import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackblazeCsvError, parseBackblazeHeader, parseBackblazeLine, readBackblazeCsv } from './backblaze-csv.ts';
import { buildDataset } from './dataset.ts';
import { FEATURE_COUNT } from '../../contract/models/disk/features.ts';
import { scoreBackblazeCsv } from './score-backblaze.ts';
import { treeProbability, treesFromJson } from './trees.ts';

const fixture = new URL('../../test/fixtures/smart/backblaze-sample.csv', import.meta.url).pathname;
const trees = treesFromJson(JSON.parse(readFileSync(new URL('./disk-failure.trees.json', import.meta.url), 'utf8')));

test('scoreBackblazeCsv writes serial_number,date,probability per input row, matching the reference', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'disk-score-'));
  try {
    const out = join(dir, 'scores.csv');
    const summary = await scoreBackblazeCsv(fixture, out);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    assert.equal(lines[0], 'serial_number,date,probability');
    const input = readFileSync(fixture, 'utf8').trim().split('\n').slice(1);
    assert.equal(lines.length - 1, input.length);
    assert.equal(summary.rows, input.length);
    assert.equal(summary.disks, 22);
    const ds = await buildDataset(readBackblazeCsv(fixture));
    for (let i = 0; i < input.length; i++) {
      const [serial, date, p] = lines[i + 1]!.split(',');
      const [inDate, inSerial] = input[i]!.split(',');
      assert.equal(serial, inSerial);
      assert.equal(date, inDate);
      const ref = treeProbability(trees, ds.x.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT));
      assert.ok(Math.abs(Number(p) - ref) < 1e-5, `${serial} ${date}: ${p} vs ${ref}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('scorer accepts any subset of smart columns and no failure column', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'disk-score-'));
  try {
    const inp = join(dir, 'in.csv');
    writeFileSync(
      inp,
      'date,serial_number,model,smart_5_raw\n2024-01-01,A,ST4000DM000,0\n2024-01-02,A,ST4000DM000,120\n2024-01-02,B,WDC WD40,\n',
    );
    await scoreBackblazeCsv(inp, join(dir, 'out.csv'));
    const rows = readFileSync(join(dir, 'out.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    assert.deepEqual(
      rows.map((r) => r[0]),
      ['A', 'A', 'B'],
    );
    for (const r of rows) assert.ok(Number(r[2]) >= 0 && Number(r[2]) <= 1);
    assert.ok(Number(rows[1]![2]) > Number(rows[0]![2]), 'a jump of 120 reallocated sectors raises the probability');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('malformed CSV errors name the field and line', () => {
  assert.throws(
    () => parseBackblazeHeader('date,model,smart_5_raw'),
    (e) => e instanceof BackblazeCsvError && e.field === 'serial_number',
  );
  const h = parseBackblazeHeader('date,serial_number,model,failure,smart_5_raw');
  assert.throws(
    () => parseBackblazeLine(h, '2024-01-01,A,M,0,abc', 7),
    (e) => e instanceof BackblazeCsvError && e.field === 'smart_5_raw' && e.line === 7,
  );
  assert.throws(() => parseBackblazeLine(h, '01/02/2024,A,M,0,1', 2), /field date/);
  assert.deepEqual(parseBackblazeLine(h, '2024-01-01,A,M,1,', 3).reading.attributes, {});
});
