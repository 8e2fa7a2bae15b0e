import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelsToLines, parseLabelLines } from './label-lines.ts';

test('labels round-trip through key=value lines; bad lines are named', () => {
  const labels = { rack: 'fra1-r01', role: 'web' };
  assert.equal(labelsToLines({ role: 'web', rack: 'fra1-r01' }), 'rack=fra1-r01\nrole=web');
  assert.deepEqual(parseLabelLines(`${labelsToLines(labels)}\n\n  zone = b \n`), {
    labels: { ...labels, zone: 'b' },
    error: null,
  });
  assert.deepEqual(parseLabelLines(''), { labels: {}, error: null });
  assert.equal(parseLabelLines('role=web\nrack').error, "Line 2: 'rack' is not key=value");
  assert.match(parseLabelLines('a b=c').error ?? '', /^Line 1: bad key 'a b'/);
  assert.match(parseLabelLines('role=').error ?? '', /^Line 1: the value of 'role'/);
  assert.equal(parseLabelLines('role=a\nrole=b').error, "Line 2: 'role' is given twice");
});
