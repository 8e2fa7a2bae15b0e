import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRolloutState, stepRollout, type WaveObservation } from './rollout.ts';
import { resumeRollout } from './rollout-resume.ts';

const healthy = (hosts: number) => ({ hosts, errors: 0, anomalies: 0 });
const pass = (treated: string[]): WaveObservation => ({
  treated: healthy(treated.length),
  baseline: healthy(3),
  applyFailures: 0,
  acknowledged: treated,
});
const fail = (treated: string[]): WaveObservation => ({
  treated: { hosts: treated.length, errors: 50, anomalies: 0 },
  baseline: healthy(3),
  applyFailures: 0,
  acknowledged: treated,
});
const init = (waves: string[][], extra = {}) =>
  createRolloutState(
    { id: 'r', kind: 'policy', subject: 'p', version: 'p@2', previousVersion: 'p@1', waves, soakMs: 10, ...extra },
    0,
  );

test('cordon: hosts left out at planning are counted and named in the history', () => {
  const s = init([['a']], { skippedCordoned: ['c1', 'c2'] });
  assert.deepEqual(s.skippedCordoned, ['c1', 'c2']);
  assert.deepEqual(s.history[1], {
    at: 0,
    event: 'cordoned host(s) skipped: not planned',
    detail: '2 host(s): c1, c2',
  });
  const none = stepRollout(init([], { skippedCordoned: ['c1'] }), 0, pass);
  assert.deepEqual(
    [none.state.status, none.state.history.at(-1)?.detail],
    ['completed', 'no target hosts (1 cordoned)'],
  );
});

test('cordon: a host cordoned before its wave is due is not sent it; the wave sent before stays', () => {
  let r = stepRollout(init([['a'], ['b', 'c'], ['d']]), 0, pass);
  assert.deepEqual(r.actions, [{ type: 'send', wave: 0, hosts: ['a'], version: 'p@2' }]);
  // `a` (already sent wave 0) and `c` are cordoned now: wave 1 goes to `b` alone, `a` keeps what it has.
  r = stepRollout(r.state, 10, pass, new Set(['a', 'c']));
  assert.deepEqual(r.actions, [{ type: 'send', wave: 1, hosts: ['b'], version: 'p@2' }]);
  assert.deepEqual(r.state.waves, [['a'], ['b'], ['d']]);
  assert.deepEqual(r.state.skippedCordoned, ['c']);
  assert.ok(r.state.history.some((h) => h.event === 'cordoned host(s) skipped: wave 1' && h.detail === '1 host(s): c'));
  // Uncordoned before its wave: `d` gets wave 2 as planned.
  r = stepRollout(r.state, 20, pass, new Set(['c']));
  assert.deepEqual(r.actions, [{ type: 'send', wave: 2, hosts: ['d'], version: 'p@2' }]);
});

test('cordon: a wave whose every host is cordoned is passed over; none left: completed', () => {
  let r = stepRollout(init([['a'], ['b'], ['c']]), 0, pass);
  r = stepRollout(r.state, 10, pass, new Set(['b']));
  assert.deepEqual(r.actions, [{ type: 'send', wave: 2, hosts: ['c'], version: 'p@2' }]);
  assert.equal(r.state.wave, 2);
  const last = stepRollout(stepRollout(init([['a'], ['b']]), 0, pass).state, 10, pass, new Set(['b']));
  assert.deepEqual([last.state.status, last.actions], ['completed', [{ type: 'completed' }]]);
  assert.equal(last.state.history.at(-1)?.detail, 'every remaining target host is cordoned');
});

test('cordon: an automatic rollback and a resume skip cordoned hosts', () => {
  const sent = stepRollout(init([['a', 'b'], ['c']], { autoRollback: true }), 0, pass);
  const back = stepRollout(sent.state, 10, fail, new Set(['b']));
  assert.equal(back.state.status, 'rolled-back');
  assert.deepEqual(
    back.actions.find((a) => a.type === 'rollback'),
    { type: 'rollback', hosts: ['a'], toVersion: 'p@1', reasons: back.gate!.reasons },
  );
  assert.deepEqual(back.state.skippedCordoned, ['b']);
  const halted = stepRollout({ ...sent.state, autoRollback: false }, 10, fail).state;
  const resumed = resumeRollout(halted, 20, 'olga', new Set(['a']));
  assert.deepEqual(resumed.actions, [{ type: 'send', wave: 0, hosts: ['b'], version: 'p@2' }]);
  assert.deepEqual(resumed.state.skippedCordoned, ['a']);
});
