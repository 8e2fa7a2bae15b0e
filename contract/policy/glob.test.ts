import { test } from 'node:test';
import assert from 'node:assert/strict';
import picomatch from 'picomatch';
import { globProblem } from './glob.ts';

test('ordinary globs pass; many stars, extglobs and very long globs are refused with the reason', () => {
  for (const ok of ['*.log', '*.log.*', 'app-*-?.gz', 'core.[0-9]*', '{a,b}.tmp', '**/*.log', 'x'])
    assert.equal(globProblem(ok), null, ok);
  assert.match(globProblem('*a*a*a*b')!, /^4 '\*' wildcards; at most 2/);
  assert.match(globProblem('*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?x')!, /^16 '\*'/);
  assert.match(globProblem('+(a|aa)+b')!, /^extglob/);
  assert.match(globProblem('!(x).log')!, /^extglob/);
  assert.match(globProblem('a'.repeat(257))!, /longer than 256/);
});

test('what passes completes on the longest file name (a refused glob would not finish within the test timeout)', () => {
  const name = `${'a'.repeat(254)}!`;
  for (const g of ['*a*b', '*?*?x', '**?x']) {
    assert.equal(globProblem(g), null, g);
    assert.equal(picomatch(g, { basename: true, dot: true })(name), false);
  }
});
