import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../errors.ts';
import { DEFAULT_ALERT_SETTINGS } from '../models/alerting.ts';
import { alertSettingsOf } from './alerting.ts';
import { parsePolicyDocument } from './schema.ts';

const doc = (alerting: string) => `
${alerting}
policies:
  - name: p
    when: { service: nginx }
    do: [ { type: notify, message: x } ]
`;

function issues(text: string): { path: string; message: string }[] {
  try {
    parsePolicyDocument(text, 'yaml');
  } catch (e) {
    assert.ok(e instanceof ValidationError);
    return e.issues;
  }
  assert.fail('expected a ValidationError');
}

test('a set without alerting, or with some fields, takes the fleet defaults for the rest', () => {
  assert.deepEqual(alertSettingsOf(parsePolicyDocument(doc(''), 'yaml').alerting), DEFAULT_ALERT_SETTINGS);
  const set = parsePolicyDocument(
    doc('alerting: { anomaly: { enter: 0.7, minSamples: 3, minDuration: 30s, clearFor: 2m, cooldown: 1h } }'),
    'yaml',
  );
  assert.deepEqual(alertSettingsOf(set.alerting), {
    enter: 0.7,
    exit: DEFAULT_ALERT_SETTINGS.exit,
    minSamples: 3,
    minDurationMs: 30_000,
    clearMs: 120_000,
    cooldownMs: 3_600_000,
  });
  // a lower enter pulls the default exit down with it (hysteresis stays valid)
  const low = alertSettingsOf(parsePolicyDocument(doc('alerting: { anomaly: { enter: 0.2 } }'), 'yaml').alerting);
  assert.equal(low.exit, 0.2);
});

test('out-of-range values are refused naming the field and its allowed range', () => {
  const bad = issues(
    doc(
      'alerting: { anomaly: { enter: 1.5, exit: -0.1, minSamples: 0, minDuration: 2d, clearFor: forever, cooldown: 25h } }',
    ),
  );
  const by = Object.fromEntries(bad.map((i) => [i.path, i.message]));
  assert.match(by['alerting.anomaly.enter'] ?? '', /enter must be in \(0, 1\]/);
  assert.match(by['alerting.anomaly.exit'] ?? '', /exit must be in \[0, 1\]/);
  assert.match(by['alerting.anomaly.minSamples'] ?? '', /minSamples must be an integer from 1 to 10000/);
  assert.match(by['alerting.anomaly.minDuration'] ?? '', /minDuration must be between 0s and 1d/);
  assert.match(by['alerting.anomaly.clearFor'] ?? '', /'forever' is not a duration/);
  assert.match(by['alerting.anomaly.cooldown'] ?? '', /cooldown must be between 0s and 1d/);
  const hyst = issues(doc('alerting: { anomaly: { enter: 0.5, exit: 0.6 } }'));
  assert.deepEqual(
    hyst.map((i) => i.path),
    ['alerting.anomaly.exit'],
  );
  assert.match(hyst[0]!.message, /exit \(0\.6\) must be at most enter \(0\.5\)/);
  assert.deepEqual(
    issues(doc('alerting: { anomaly: { threshold: 0.5 } }')).map((i) => i.path),
    ['alerting.anomaly'],
  );
});
