import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FEATURE_COUNT, FEATURE_NAMES, createDiskHistory, diskFeatures } from './features.ts';
import { vendorOf } from './smart-reading.ts';

const at = (f: Float32Array, name: (typeof FEATURE_NAMES)[number]): number => f[FEATURE_NAMES.indexOf(name)]!;
const day = (realloc: number, pending: number, extra: Record<number, number> = {}) => ({
  model: 'ST3000DM001',
  attributes: { 5: realloc, 197: pending, 9: 8766, 194: 30, ...extra },
});

test('first day: levels only, deltas 0, history_days 1/7', () => {
  const f = diskFeatures(createDiskHistory(), day(10, 3));
  assert.equal(f.length, FEATURE_COUNT);
  assert.ok(Math.abs(at(f, 'log_reallocated') - Math.log1p(10)) < 1e-6);
  assert.ok(Math.abs(at(f, 'log_pending') - Math.log1p(3)) < 1e-6);
  assert.equal(at(f, 'log_sectors_delta1'), 0);
  assert.equal(at(f, 'sectors_increased7'), 0);
  assert.ok(Math.abs(at(f, 'history_days') - 1 / 7) < 1e-6);
  assert.equal(at(f, 'power_on_years'), 1);
  assert.equal(at(f, 'temperature_c'), 30);
  assert.equal(at(f, 'vendor_seagate'), 1);
});

test('deltas over 1/3/7 days, increase flag stays for 7 days, max pending survives remapping', () => {
  const h = createDiskHistory();
  const seq = [
    [0, 0],
    [0, 0],
    [0, 4],
    [6, 0],
    [6, 0],
    [6, 0],
    [6, 0],
    [6, 0],
    [6, 0],
    [6, 0],
    [6, 0],
  ] as const;
  const out = seq.map(([r, p]) => diskFeatures(h, day(r, p)));
  assert.ok(Math.abs(at(out[2]!, 'log_sectors_delta1') - Math.log1p(4)) < 1e-6);
  assert.ok(Math.abs(at(out[3]!, 'log_sectors_delta1') - Math.log1p(2)) < 1e-6); // 4 -> 6
  assert.ok(Math.abs(at(out[4]!, 'log_sectors_delta3') - Math.log1p(6)) < 1e-6); // vs day 1 (0)
  assert.ok(Math.abs(at(out[3]!, 'log_max_pending') - Math.log1p(4)) < 1e-6);
  assert.equal(at(out[3]!, 'log_pending'), 0);
  assert.equal(at(out[9]!, 'sectors_increased7'), 1); // last rise on day 3, 6 days earlier
  assert.equal(at(out[10]!, 'sectors_increased7'), 0); // 7 days later it has left the window
  assert.equal(at(out[10]!, 'log_sectors_delta7'), 0);
  assert.equal(h.daysObserved, 11);
  assert.equal(h.past.length, 7);
});

test('198 and NVMe media_errors count as pending; 187/188/199 and NVMe warning/usage have their own slots', () => {
  const f = diskFeatures(createDiskHistory(), { attributes: { 198: 8, 187: 1, 188: 2, 199: 3 } });
  assert.ok(Math.abs(at(f, 'log_pending') - Math.log1p(8)) < 1e-6);
  assert.ok(Math.abs(at(f, 'log_other_errors') - Math.log1p(6)) < 1e-6);
  const n = diskFeatures(createDiskHistory(), {
    model: 'Samsung SSD 980',
    attributes: {},
    media_errors: 2,
    critical_warning: 4,
    percentage_used: 50,
    temperature: 41,
    power_on_hours: 100,
  });
  assert.ok(Math.abs(at(n, 'log_pending') - Math.log1p(2)) < 1e-6);
  assert.equal(at(n, 'nvme_critical_warning'), 1);
  assert.equal(at(n, 'nvme_percentage_used'), 0.5);
  assert.equal(at(n, 'temperature_c'), 41);
  assert.equal(at(n, 'vendor_seagate') + at(n, 'vendor_hgst') + at(n, 'vendor_wdc'), 0);
});

test('vendorOf normalizes Backblaze and smartctl model strings', () => {
  assert.equal(vendorOf('ST31500541AS'), 'seagate');
  assert.equal(vendorOf('Seagate BarraCuda'), 'seagate');
  assert.equal(vendorOf('Hitachi HDS722020ALA330'), 'hgst');
  assert.equal(vendorOf('HGST HMS5C4040ALE640'), 'hgst');
  assert.equal(vendorOf('WDC WD30EFRX'), 'wdc');
  assert.equal(vendorOf('TOSHIBA DT01ACA300'), 'other');
  assert.equal(vendorOf(undefined), 'other');
});

test('power-on hours that stop rising count stalled days; the count resets when they move again', () => {
  const h = createDiskHistory();
  const hours = [100, 124, 148, 148, 148, 148, 172];
  const out = hours.map((hrs) => diskFeatures(h, day(0, 0, { 9: hrs })));
  assert.deepEqual(
    out.map((f) => at(f, 'power_on_stalled_days')),
    [0, 0, 0, 1, 2, 3, 0],
  );
  assert.deepEqual(
    out.map((f) => at(f, 'power_on_gain1')),
    [1, 1, 1, 0, 0, 0, 1],
  ); // first day: unknown -> 1
  const many = createDiskHistory();
  let last: Float32Array = new Float32Array(0);
  for (let i = 0; i < 12; i++) last = diskFeatures(many, day(0, 0, { 9: 500 }));
  assert.equal(at(last, 'power_on_stalled_days'), 7); // capped by the kept history
});

test('a frozen non-zero SMART 1 raw counts stalled days; a constant 0 (Hitachi, WDC) does not', () => {
  const seagate = createDiskHistory();
  const s = [5, 7, 7, 7].map((v) => diskFeatures(seagate, day(0, 0, { 1: v })));
  assert.deepEqual(
    s.map((f) => at(f, 'read_error_rate_stalled_days')),
    [0, 0, 1, 2],
  );
  const zero = createDiskHistory();
  const z = [0, 0, 0].map((v) => diskFeatures(zero, day(0, 0, { 1: v })));
  assert.deepEqual(
    z.map((f) => at(f, 'read_error_rate_stalled_days')),
    [0, 0, 0],
  );
});

test('a history saved before disk-features/2 (no hours/SMART 1 per day) gives neutral stall features', () => {
  const h = createDiskHistory();
  for (let i = 0; i < 3; i++) h.past.push({ reallocated: 0, pending: 0, otherErrors: 0 });
  h.daysObserved = 3;
  const f = diskFeatures(h, day(0, 0, { 1: 9, 9: 1000 }));
  assert.equal(at(f, 'power_on_stalled_days'), 0);
  assert.equal(at(f, 'power_on_gain1'), 1);
  assert.equal(at(f, 'read_error_rate_stalled_days'), 0);
  assert.equal(h.past.at(-1)!.powerOnHours, 1000); // from now on the history carries them
});

test('readings without power-on hours or SMART 1 (e.g. NVMe) keep the stall features neutral', () => {
  const h = createDiskHistory();
  let f: Float32Array = new Float32Array(0);
  for (let i = 0; i < 3; i++) f = diskFeatures(h, { model: 'Samsung SSD 980', attributes: {}, temperature: 40 });
  assert.equal(at(f, 'power_on_stalled_days'), 0);
  assert.equal(at(f, 'power_on_gain1'), 1);
  assert.equal(at(f, 'read_error_rate_stalled_days'), 0);
});
