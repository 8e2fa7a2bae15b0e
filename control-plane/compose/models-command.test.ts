import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { CsvFormatError, detectLayout, parseRow } from '../../models/cli/recorded-csv.ts';

const run = promisify(execFile);
const bin = new URL('../cli/homeostat.mjs', import.meta.url).pathname;
const anomalyCard = new URL('../../models/anomaly/anomaly-multi.card.json', import.meta.url).pathname;

describe('recorded CSV layout', () => {
  it('finds a header and a timestamp column', () => {
    assert.deepEqual(detectLayout('timestamp,cpu,mem'), { names: ['cpu', 'mem'], timestampColumn: 0, hasHeader: true });
  });
  it('accepts headerless rows with an ISO timestamp', () => {
    assert.deepEqual(detectLayout('2014-02-14 14:30:00,1.5,2'), {
      names: ['f1', 'f2'],
      timestampColumn: 0,
      hasHeader: false,
    });
  });
  it('treats empty and NaN cells as missing, and names the bad column otherwise', () => {
    const layout = detectLayout('cpu,mem');
    assert.deepEqual(parseRow(layout, '1,', 2).values, [1, null]);
    assert.throws(
      () => parseRow(layout, '1,abc', 7),
      (e: unknown) =>
        e instanceof CsvFormatError &&
        e.message === "line 7, column 'mem': 'abc' is not a number (allowed: a number, or empty/NaN/null for missing)",
    );
  });
});

describe('homeostat models score', () => {
  it('scores a metric CSV row by row and flags the spike in the right column', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'score-'));
    const rows = ['timestamp,cpu,latency_ms'];
    for (let i = 0; i < 400; i++) {
      const latency = i === 350 ? 80 : 5 + Math.sin(i * 12.9898) * 0.3;
      rows.push(
        `2026-01-01T00:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z,${(30 + Math.sin(i / 15) * 3 + Math.sin(i * 7.1) * 0.4).toFixed(3)},${latency.toFixed(3)}`,
      );
    }
    writeFileSync(join(dir, 'in.csv'), rows.join('\n') + '\n');
    await run(process.execPath, [
      bin,
      'models',
      'score',
      '--model',
      anomalyCard,
      '--input',
      join(dir, 'in.csv'),
      '--output',
      join(dir, 'out.csv'),
    ]);
    const out = readFileSync(join(dir, 'out.csv'), 'utf8').trim().split('\n');
    assert.equal(out[0], 'row,timestamp,score,top_feature,top_ratio,contribution_cpu,contribution_latency_ms');
    assert.equal(out.length, 401);
    const spike = out[351]!.split(',');
    assert.equal(spike[3], 'latency_ms');
    assert.ok(Number(spike[2]) >= 0.5, `score at the spike: ${spike[2]}`);
  });
});

describe('timestamps', () => {
  it('reads ISO (UTC without a zone) and epoch seconds or milliseconds', async () => {
    const { parseTimestamp } = await import('../../models/cli/recorded-csv.ts');
    assert.equal(parseTimestamp('2014-02-14 14:30:00'), Date.UTC(2014, 1, 14, 14, 30));
    assert.equal(parseTimestamp('1392388200'), 1392388200000);
    assert.equal(parseTimestamp('1392388200000'), 1392388200000);
    assert.equal(parseTimestamp('not a time'), undefined);
  });
});
