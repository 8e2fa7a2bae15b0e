import { test } from 'node:test';
import assert from 'node:assert/strict';
import { soakPhase } from './soak-phase.ts';

test('a wave soaks until the gate, then waits for acknowledgements until the ack timeout; a rollback only waits', () => {
  const r = { waveStartedAt: 1000, soakMs: 60_000, ackTimeoutMs: 600_000 };
  assert.equal(soakPhase({ ...r, waveStartedAt: null }, 0), null);
  assert.deepEqual(soakPhase(r, 60_999), { kind: 'soaking', at: 61_000 });
  assert.deepEqual(soakPhase(r, 61_000), { kind: 'awaiting', at: 661_000 });
  assert.deepEqual(soakPhase({ ...r, rollback: true }, 5000), { kind: 'rollback', at: 601_000 });
});
