import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { ValidationError } from '../../contract/errors.ts';
import { Sample } from '../../contract/protocol/payloads.ts';
import type { ReadingSource } from '../collect/types.ts';
import { FEATURE_SCHEMA_VERSION, MODEL_FEATURES } from '../../contract/features/schema.ts';
import { parseTimestamp } from './csv.ts';
import { createReplaySource } from './replay-source.ts';

const trace = (name: string) => fileURLToPath(new URL(`./traces/${name}`, import.meta.url));

test('NAB trace (timestamp,value) mapped to a feature, played 300x faster: one 5-minute row per second', async () => {
  const src: ReadingSource = createReplaySource({
    path: trace('nab-machine-temperature.csv'),
    mapping: { value: 'cpu.util_pct' },
    speedup: 300,
  });
  await src.start();
  const t0 = 1_700_000_000_000;
  const a = await src.collect(t0),
    b = await src.collect(t0 + 1000),
    c = await src.collect(t0 + 1999);
  assert.equal(a.schema, FEATURE_SCHEMA_VERSION);
  assert.equal(a.features['cpu.util_pct'], 97.88859486);
  assert.notEqual(b.features['cpu.util_pct'], a.features['cpu.util_pct']);
  assert.equal(c.features['cpu.util_pct'], b.features['cpu.util_pct'], 'still inside the second row');
  for (const f of MODEL_FEATURES) assert.ok(f in a.features, f);
  assert.equal(a.features['mem.used_pct'], null, 'unmapped model features are explicit nulls');
  assert.deepEqual(a.collectors, { replay: 'ok' });
  Sample.parse({ seq: 1, ts: a.ts, schema: a.schema, features: a.features, collectors: a.collectors });
  const inv = await src.inventory();
  assert.match(inv.hash, /^[0-9a-f]{64}$/);
  await src.stop();
});

test('captured trace of this machine: headers are feature names, mapped by default; loops at the end', async () => {
  const src = createReplaySource({ path: trace('vm-capture.csv'), speedup: 1 });
  await src.start();
  const n = src.trace.rows.length;
  assert.ok(n >= 60, String(n));
  const step = (src.trace.rows.at(-1)!.ts - src.trace.rows[0]!.ts) / (n - 1);
  const first = await src.collect(0);
  assert.ok(first.features['cpu.util_pct'] !== null);
  assert.ok(first.features['proc.count']! > 0);
  const wrapped = await src.collect(n * step);
  assert.deepEqual(wrapped.features, first.features);
});

test('out-of-phase hosts and noise from an injected random source', async () => {
  const csv = 'timestamp,cpu\n0,10\n10,20\n20,30\n';
  const a = createReplaySource({ csv, mapping: { cpu: 'cpu.util_pct' }, offsetRows: 1 });
  await a.start();
  assert.equal((await a.collect(5)).features['cpu.util_pct'], 20);
  const b = createReplaySource({ csv, mapping: { cpu: 'cpu.util_pct' }, jitter: 2, random: () => 1, scale: 2 });
  await b.start();
  assert.equal((await b.collect(0)).features['cpu.util_pct'], 20 + 2 * 1.5);
});

test('mapping errors name every bad column and feature at once', () => {
  assert.throws(
    () => createReplaySource({ csv: 'timestamp,a\n0,1\n', mapping: { a: 'not.a.feature', b: 'cpu.util_pct' } }),
    (e: unknown) =>
      e instanceof ValidationError &&
      e.issues.length === 2 &&
      /mapping.a: 'not.a.feature' is not a registered feature/.test(e.message) &&
      /mapping.b: no column 'b'/.test(e.message),
  );
});

test('timestamps: epoch seconds, epoch ms, NAB dates as UTC', () => {
  assert.equal(parseTimestamp('1700000000'), 1_700_000_000_000);
  assert.equal(parseTimestamp('1700000000123'), 1_700_000_000_123);
  assert.equal(parseTimestamp('2013-12-15 17:25:00'), Date.UTC(2013, 11, 15, 17, 25));
  assert.throws(() => parseTimestamp('yesterday'), /unparsable timestamp 'yesterday'/);
});
