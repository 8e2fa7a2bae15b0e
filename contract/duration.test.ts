import { test } from 'node:test';
import assert from 'node:assert/strict';
import { durationMs, parseDuration } from './duration.ts';
import { durationMs as policyDurationMs } from './policy/units.ts';
import { validatePolicySet } from './policy/schema.ts';

test('one parser: units, and a bare number (or digit string) is milliseconds', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('15m'), 900_000);
  assert.equal(parseDuration('24h'), 86_400_000);
  assert.equal(parseDuration('2w'), 14 * 86_400_000);
  assert.equal(parseDuration(1500), 1500);
  assert.equal(parseDuration('1500'), 1500);
  for (const bad of ['soon', '-1s', '5x', '']) assert.equal(parseDuration(bad), null, bad);
  assert.equal(parseDuration(-1), null);
});

test('the policy language and the zod schema use the same parser (a parsed value parses to itself)', () => {
  assert.equal(policyDurationMs, durationMs);
  assert.equal(durationMs.parse(60_000), 60_000);
  const set = validatePolicySet({
    policies: [
      {
        name: 'p',
        when: { service: 'nginx', for: 10_000 },
        do: [{ type: 'notify', message: 'x' }],
        guards: { cooldown: '1m' },
      },
    ],
  });
  assert.equal(set.policies[0]!.guards.cooldown, 60_000);
  const r = durationMs.safeParse('5x');
  assert.equal(r.success, false);
  assert.match(r.error!.issues[0]!.message, /'5x' is not a duration; .*bare number is milliseconds/);
});
