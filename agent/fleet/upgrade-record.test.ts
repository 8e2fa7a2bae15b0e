import assert from 'node:assert/strict';
import { test } from 'node:test';
import { guardStart, healthConfirmed, missingHealth, type UpgradeRecord } from './upgrade-record.ts';

const rec: UpgradeRecord = {
  v: 1,
  status: 'pending',
  from: '1.0.0',
  to: '2.0.0',
  root: '/opt/homeostat/agent',
  switchedAt: 1000,
  deadline: 61_000,
  attempts: 0,
  maxAttempts: 2,
  healthCycles: 3,
  requireConnected: true,
};

test('guard: only starts of the new version while pending count; the old one and no record run untouched', () => {
  assert.deepEqual(guardStart(null, '2.0.0', 2000), { action: 'run', write: null });
  assert.deepEqual(guardStart(rec, '1.0.0', 2000), { action: 'run', write: null });
  assert.deepEqual(guardStart({ ...rec, status: 'rolled-back' }, '2.0.0', 2000), { action: 'run', write: null });
  const first = guardStart(rec, '2.0.0', 2000);
  assert.equal(first.action, 'run');
  assert.equal(first.write?.attempts, 1);
});

test('guard: too many starts without a confirmation, or a passed deadline, switch back with the reason', () => {
  const crash = guardStart({ ...rec, attempts: 2 }, '2.0.0', 2000);
  assert.equal(crash.action, 'rollback');
  assert.match(crash.action === 'rollback' ? crash.reason : '', /started 2 time\(s\) without confirming/);
  assert.equal(crash.write?.status, 'rolled-back');
  const late = guardStart(rec, '2.0.0', 70_000);
  assert.equal(late.action, 'rollback');
  assert.match(late.action === 'rollback' ? late.reason : '', /did not confirm its health within 60 s/);
});

test('health: cycles, and when the old version was connected, a connection and an ack from this process', () => {
  const h = { cycles: 3, connected: true, lastAckAt: 5000, startedAt: 4000 };
  assert.equal(healthConfirmed(rec, h), true);
  assert.equal(healthConfirmed(rec, { ...h, cycles: 2 }), false);
  assert.equal(healthConfirmed(rec, { ...h, connected: false }), false);
  assert.equal(healthConfirmed(rec, { ...h, lastAckAt: 3000 }), false, 'an ack to the previous process does not count');
  assert.equal(healthConfirmed({ ...rec, requireConnected: false }, { ...h, connected: false, lastAckAt: null }), true);
  assert.equal(
    missingHealth(rec, { ...h, cycles: 1, connected: false }),
    '1/3 cycles completed, not connected to the control plane',
  );
});
