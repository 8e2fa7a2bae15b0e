// Real faults healed by a real healer with no control plane (one trial per class, classes in parallel).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAULT_CLASSES } from './faults.ts';
import { runTrial } from './trial.ts';

test('every fault class is healed by its policy, disconnected, with no action outside the fault', async () => {
  const results = await Promise.all(FAULT_CLASSES.map((f) => runTrial(f, { cycleMs: 2000, timeoutMs: 90_000 })));
  for (const r of results) {
    assert.equal(
      r.healed,
      true,
      `${r.fault} not healed; events: ${r.events.map((e) => `${e.type} ${e.message}`).join(' | ')}`,
    );
    assert.deepEqual(r.harmful, [], `${r.fault} acted outside its target`);
    assert.ok(
      r.events.some((e) => e.type === 'heal.executed'),
      `${r.fault}: no heal.executed event`,
    );
  }
});
