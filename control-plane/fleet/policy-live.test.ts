import { test } from 'node:test';
import assert from 'node:assert/strict';
import { liveVersions } from './policy-live.ts';

type Status = 'pending' | 'soaking' | 'completed' | 'halted' | 'rolled-back' | 'cancelled';
/** A policy rollout of `web` to two hosts in two waves (`wave`: the last one sent). */
const ro = (version: number, status: Status, previous: number, wave = 1, subject = 'web') => ({
  kind: 'policy' as const,
  subject,
  version: `${subject}@${version}`,
  previousVersion: `${subject}@${previous}`,
  status,
  wave,
  waves: [['a'], ['b']],
});

test('the live policy version is that of the newest completed rollout; one still running is rolling out', () => {
  const live = liveVersions([
    ro(3, 'soaking', 2),
    ro(2, 'completed', 1),
    ro(0, 'completed', 1, 1, 'db'),
    { ...ro(9, 'completed', 1), kind: 'model' as const },
  ]);
  assert.deepEqual(live('web'), { publishedVersion: 2, rollingOutVersion: 3 });
  assert.deepEqual(live('db'), { publishedVersion: null, rollingOutVersion: null }, 'db@0 is "no policy"');
  assert.deepEqual(live('none'), { publishedVersion: null, rollingOutVersion: null });
});

test('a rolled-back rollout leaves the version its hosts were sent back to, even with no completed rollout of it', () => {
  // v1 went out by a rollback that one offline host never acknowledged (halted, sent to all), v2 was rolled back.
  const v1ByRollback = { ...ro(1, 'halted', 2, 0), waves: [['a', 'b']] };
  assert.deepEqual(liveVersions([ro(2, 'rolled-back', 1), v1ByRollback])('web'), {
    publishedVersion: 1,
    rollingOutVersion: null,
  });
  // A first publish rolled back: back to "no policy".
  assert.equal(liveVersions([ro(1, 'rolled-back', 0)])('web').publishedVersion, null);
});

test('a halted rollout decides only once every target was sent it; cancelled ones never do', () => {
  assert.equal(liveVersions([ro(3, 'halted', 2, 1), ro(2, 'completed', 1)])('web').publishedVersion, 3);
  assert.equal(liveVersions([ro(3, 'halted', 2, 0), ro(2, 'completed', 1)])('web').publishedVersion, 2);
  assert.equal(liveVersions([ro(4, 'cancelled', 3), ro(3, 'completed', 2)])('web').publishedVersion, 3);
});
