import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostHealth } from './host-health.ts';

const base = { online: true, openIncidents: 0, incidentSeverity: null, servicesUnhealthy: 0, alertActive: false };

test('known facts first: disk risk at the alert level and failing collectors make a host warning, with the reasons', () => {
  assert.deepEqual(hostHealth(base), { status: 'healthy', reasons: [] });
  assert.deepEqual(hostHealth({ ...base, diskRisk: 0.49, failedCollectors: [] }), { status: 'healthy', reasons: [] });
  assert.deepEqual(hostHealth({ ...base, diskRisk: 0.83 }), {
    status: 'warning',
    reasons: ['disk failure risk 0.83'],
  });
  assert.deepEqual(hostHealth({ ...base, failedCollectors: ['disks', 'smart'] }), {
    status: 'warning',
    reasons: ['collectors failing: disks, smart'],
  });
  assert.deepEqual(hostHealth({ ...base, online: false, diskRisk: 0.9, failedCollectors: ['smart'] }), {
    status: 'offline',
    reasons: ['agent offline', 'disk failure risk 0.90', 'collector failing: smart'],
  });
  assert.equal(
    hostHealth({ ...base, incidentSeverity: 'critical', openIncidents: 1, diskRisk: 0.9 }).status,
    'critical',
  );
});
