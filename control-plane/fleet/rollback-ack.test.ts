import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRolloutState, stepRollout } from './rollout.ts';
import { stepRollbackAck } from './rollback-ack.ts';
import { resumeRollout } from './rollout-resume.ts';

const sent = (rollback: boolean) => {
  const s = createRolloutState(
    {
      id: 'r',
      kind: 'policy',
      subject: 'web',
      version: 'web@1',
      previousVersion: 'web@2',
      waves: [['a', 'b']],
      rollback,
    },
    0,
  );
  return stepRollout({ ...s, soakMs: 0 }, 0, () => assert.fail('no gate')).state;
};

test('a rollback completes when every host acknowledged it, and halts naming the hosts that did not', () => {
  const s = sent(true);
  assert.equal(s.status, 'soaking');
  assert.equal(stepRollbackAck(s, 1000, ['b']).state.status, 'soaking');
  const done = stepRollbackAck(s, 1000, []);
  assert.deepEqual(
    [done.state.status, done.state.history.at(-1)?.detail],
    ['completed', 'acknowledged by all 2 host(s)'],
  );
  const late = stepRollbackAck(s, 600_000, ['b']);
  assert.equal(late.state.status, 'halted');
  assert.deepEqual(late.actions, [
    { type: 'halted', reasons: ['1 of 2 host(s) did not acknowledge web@1 within 600 s: b'] },
  ]);
});

test('resume: only a halted rollout, which sends its wave again and soaks from now', () => {
  const s = sent(false);
  assert.throws(() => resumeRollout(s, 5, 'ann'), /is soaking, not halted/);
  const r = resumeRollout({ ...s, status: 'halted' }, 5, 'ann');
  assert.deepEqual([r.state.status, r.state.waveStartedAt], ['soaking', 5]);
  assert.deepEqual(r.actions, [{ type: 'send', wave: 0, hosts: ['a', 'b'], version: 'web@1' }]);
});
