import { test } from 'node:test';
import assert from 'node:assert/strict';
import { axisWidth, formatValue, unitOf } from './units.ts';

test('units come from the feature suffix', () => {
  assert.equal(unitOf('cpu.user_pct').symbol, '%');
  assert.equal(unitOf('cpu.temp_package_c').symbol, '°C');
  assert.equal(unitOf('disk.read_bytes_per_s').symbol, 'B/s');
  assert.equal(unitOf('mem.total_bytes').symbol, 'B');
  assert.equal(unitOf('disk.max_await_ms').symbol, 'ms');
  assert.equal(unitOf('net.drops_per_s').symbol, '/s');
  assert.equal(unitOf('cpu.load1').symbol, '');
});

test('axis labels keep every digit, carry the unit and scale bytes', () => {
  assert.equal(formatValue(59.975, unitOf('cpu.temp_package_c'), 0.005), '59.975 °C');
  assert.equal(formatValue(60, unitOf('cpu.temp_package_c'), 5), '60 °C');
  assert.equal(formatValue(12.5, unitOf('cpu.user_pct'), 0.5), '12.5%');
  assert.equal(formatValue(1_234_567_890, unitOf('mem.total_bytes')), '1.2 GB');
  assert.equal(formatValue(950_000, unitOf('disk.read_bytes_per_s')), '950 kB/s');
  assert.equal(formatValue(0, unitOf('cpu.load1'), 0.25), '0.00');
  assert.equal(formatValue(10000, unitOf('x'), 2000), '10000', 'no locale grouping');
  assert.ok(axisWidth(['59.975 °C']) >= 9 * 7, 'wide enough for the longest label');
});
