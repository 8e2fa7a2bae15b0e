import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBasicSource } from './basic-source.ts';

const dir = mkdtempSync(join(tmpdir(), 'proc-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('basic source', () => {
  it('computes features from /proc files and marks missing ones null and unavailable', async () => {
    writeFileSync(join(dir, 'loadavg'), '0.50 0.25 0.10 1/100 1234\n');
    writeFileSync(
      join(dir, 'meminfo'),
      'MemTotal:       1000 kB\nMemAvailable:    250 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n',
    );
    writeFileSync(join(dir, 'stat'), 'cpu  100 0 100 800 0 0 0 0 0 0\n');
    const src = createBasicSource({ procRoot: dir });
    await src.start();
    writeFileSync(join(dir, 'stat'), 'cpu  150 0 150 880 20 0 0 0 0 0\n');
    const r = await src.collect(42);
    assert.equal(r.ts, 42);
    assert.deepEqual(r.collectors, { loadavg: 'ok', memory: 'ok', cpu: 'ok' });
    assert.equal(r.features['load.1m'], 0.5);
    assert.equal(r.features['mem.used_ratio'], 0.75);
    assert.equal(r.features['mem.available_bytes'], 250 * 1024);
    assert.equal(r.features['cpu.util'], 100 / 200);
    assert.equal(r.features['cpu.iowait'], 20 / 200);
    rmSync(join(dir, 'loadavg'));
    const r2 = await src.collect(43);
    assert.equal(r2.features['load.1m'], null);
    assert.match(r2.collectors.loadavg!, /^unavailable: /);
  });
});
