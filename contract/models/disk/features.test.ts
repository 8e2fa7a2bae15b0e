import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FEATURE_COUNT, FEATURE_NAMES, createDiskHistory, diskFeatures } from './features.ts';

const at = (f: Float32Array, name: (typeof FEATURE_NAMES)[number]): number => f[FEATURE_NAMES.indexOf(name)]!;
const day = (realloc: number, pending: number, extra: Record<number, number> = {}) => ({
  model: 'ST3000DM001',
  attributes: { 5: realloc, 197: pending, 9: 8766, 194: 30, ...extra },
});

test('first day: levels only, deltas and trends neutral, history_days 1/7, masks set', () => {
  const f = diskFeatures(createDiskHistory(), day(10, 3));
  assert.equal(f.length, FEATURE_COUNT);
  assert.ok(Math.abs(at(f, 'log_reallocated') - Math.log1p(10)) < 1e-6);
  assert.ok(Math.abs(at(f, 'log_pending') - Math.log1p(3)) < 1e-6);
  assert.equal(at(f, 'log_sectors_delta1'), 0);
  assert.ok(Math.abs(at(f, 'log_sectors') - Math.log1p(13)) < 1e-6);
  assert.equal(at(f, 'sectors_rise_days7'), 0);
  assert.ok(Math.abs(at(f, 'history_days') - 1 / 7) < 1e-6);
  assert.equal(at(f, 'temperature_shift'), 0);
  assert.equal(at(f, 'power_on_gain_ratio'), 1);
  assert.equal(at(f, 'read_error_rate_surprise'), 0);
  assert.equal(at(f, 'normalized_drop'), 0);
  assert.deepEqual(
    ['has_sectors', 'has_errors', 'has_power_on_hours', 'has_temperature', 'has_read_error_rate', 'is_nvme'].map((n) =>
      at(f, n as (typeof FEATURE_NAMES)[number]),
    ),
    [1, 0, 1, 1, 0, 0],
  );
});

test('deltas over 1/3/7 days, rise days count within 7 days, max pending survives remapping', () => {
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
  assert.ok(Math.abs(at(out[3]!, 'sectors_rise_days7') - 2 / 7) < 1e-6); // rises on days 2 and 3
  assert.ok(Math.abs(at(out[9]!, 'sectors_rise_days7') - 1 / 7) < 1e-6); // day 3's rise, 6 days earlier
  assert.equal(at(out[10]!, 'sectors_rise_days7'), 0); // 7 days later it has left the window
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
  assert.equal(at(n, 'is_nvme'), 1);
  assert.equal(at(n, 'has_errors'), 0);
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
    out.map((f) => at(f, 'power_on_gain_ratio')),
    [1, 1, 1, 0, 0, 0, 2.5],
  ); // no mean gain before day 3 -> 1; 24 h against a mean of 48/5 h -> 2.5
  const many = createDiskHistory();
  let last: Float32Array = new Float32Array(0);
  for (let i = 0; i < 12; i++) last = diskFeatures(many, day(0, 0, { 9: 500 }));
  assert.equal(at(last, 'power_on_stalled_days'), 7); // capped by the kept history
});

test('power-on hours that fall (a reset, a swapped serial) are neither a stalled day nor a gain', () => {
  const h = createDiskHistory();
  const hours = [22139, 22163, 21094, 21118, 21142, 21166];
  const out = hours.map((hrs) => diskFeatures(h, day(0, 0, { 9: hrs })));
  assert.deepEqual(
    out.map((f) => at(f, 'power_on_stalled_days')),
    [0, 0, 0, 0, 0, 0],
  );
  assert.deepEqual(
    out.map((f) => at(f, 'power_on_gain_ratio')),
    [1, 1, 1, 1, 1, 1],
  ); // the fall is unknown (1) and leaves the mean gain at 24 h
  assert.equal(h.gainCount, 4);
});

test('a gap of days between observations counts as one day of power-on hours, not a disk running faster', () => {
  const h = createDiskHistory();
  const hours = [1000, 1024, 1048, 1360, 1384, 1408];
  const out = hours.map((hrs) => diskFeatures(h, day(0, 0, { 9: hrs })));
  assert.deepEqual(
    out.map((f) => at(f, 'power_on_gain_ratio')),
    [1, 1, 1, 1, 1, 1],
  ); // 312 h over a 13-day gap is capped at 24: the mean stays 24 h and a normal day after it reads 1, not 0.2
  assert.equal(h.gainSum, 5 * 24);
});

test("SMART 1 raw: only a change in the disk's own behaviour counts, whatever its vendor scale", () => {
  const run = (values: number[]): number[] => {
    const h = createDiskHistory();
    return values.map((v) => at(diskFeatures(h, day(0, 0, { 1: v })), 'read_error_rate_surprise'));
  };
  // Moves every day (Seagate style): no surprise once enough history exists.
  const moving = run([5, 9, 2, 7, 1, 8, 3, 6, 4]);
  assert.ok(
    moving.every((v) => Math.abs(v) < 1e-9),
    `moving: ${moving}`,
  );
  // Sits at 0 (Hitachi/WDC style) and then starts to move: surprise rises.
  const quiet = run([0, 0, 0, 0, 0, 0, 0, 65536, 0]);
  assert.equal(quiet[6], 0);
  assert.ok(quiet[7]! > 0.3 && quiet[8]! > 0.6, `quiet: ${quiet}`);
});

test("temperature shift is relative to the disk's own mean; normalized drop to its own best", () => {
  const h = createDiskHistory();
  const temps = [30, 30, 40];
  const out = temps.map((t, i) =>
    diskFeatures(h, { attributes: { 194: t }, normalized: { 5: [100, 100, 80][i]!, 9: [99, 98, 50][i]! } }),
  );
  assert.deepEqual(
    out.map((f) => at(f, 'temperature_shift')),
    [0, 0, 10],
  );
  assert.ok(Math.abs(at(out[2]!, 'normalized_drop') - 0.2) < 1e-6); // 9 (age) does not count
  assert.equal(at(out[2]!, 'has_normalized'), 1);
});

test('attribute groups that vanish from a reading are counted', () => {
  const h = createDiskHistory();
  diskFeatures(h, day(0, 0, { 187: 0 }));
  const f = diskFeatures(h, { attributes: { 194: 30 } });
  assert.equal(at(f, 'attributes_lost'), 3); // sectors, errors, power-on hours
});

test('a history saved before disk-features/3 (no presence, sums) gives neutral trend features', () => {
  const h = createDiskHistory();
  for (let i = 0; i < 3; i++) h.past.push({ reallocated: 0, pending: 0, otherErrors: 0 });
  h.daysObserved = 3;
  const f = diskFeatures(h, day(0, 0, { 1: 9, 9: 1000 }));
  assert.equal(at(f, 'power_on_stalled_days'), 0);
  assert.equal(at(f, 'power_on_gain_ratio'), 1);
  assert.equal(at(f, 'read_error_rate_surprise'), 0);
  assert.equal(at(f, 'attributes_lost'), 0);
  assert.equal(h.past.at(-1)!.powerOnHours, 1000); // from now on the history carries them
});
