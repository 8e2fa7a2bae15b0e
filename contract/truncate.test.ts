import { test } from 'node:test';
import assert from 'node:assert/strict';
import { truncateCodePoints, truncateCodePointsStart, toWellFormed } from './truncate.ts';
import { isWellFormed } from './text.ts';

test('M2: a cut that falls inside a surrogate pair leaves the pair out whole', () => {
  const s = 'ab😀cd'; // 😀 is two UTF-16 units at 2..3
  assert.equal('ab😀cd'.slice(0, 3), 'ab\ud83d', 'what slice would do');
  assert.equal(truncateCodePoints(s, 3), 'ab');
  assert.equal(truncateCodePoints(s, 4), 'ab😀');
  assert.equal(truncateCodePoints(s, 100), s);
  assert.equal(truncateCodePoints(s, 0), '');
  assert.equal(truncateCodePointsStart(s, 3), 'cd');
  assert.equal(truncateCodePointsStart(s, 4), '😀cd');
  for (let n = 0; n <= s.length; n++)
    assert.ok(isWellFormed(truncateCodePoints(s, n)) && isWellFormed(truncateCodePointsStart(s, n)));
});

test('M2: lone surrogates already in the input become U+FFFD', () => {
  assert.equal(toWellFormed('a\ud800b\udc00c😀'), 'a\uFFFDb\uFFFDc😀');
  assert.equal(truncateCodePoints('x\ud800', 10), 'x\uFFFD');
});
