import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NAB_PROFILES, probationaryLength, scaledSigmoid, scoreAt, scoreByThreshold, sweepFile } from './sweep.ts';
import { scoreCorpusProfile } from './corpus.ts';
import { parseNabTime, windowsToIndices } from './dataset.ts';

const std = NAB_PROFILES.standard;
const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} !~ ${b}`);

test('scaledSigmoid matches NAB reference points', () => {
  close(scaledSigmoid(-1), 0.9866142981514305);
  close(scaledSigmoid(-0.5), 0.8482836399575131);
  close(scaledSigmoid(0), 0);
  close(scaledSigmoid(1), -0.9866142981514305);
  assert.equal(scaledSigmoid(3), -1);
});

test('probationary period is 15% of rows, capped at 750', () => {
  assert.equal(probationaryLength(1000), 150);
  assert.equal(probationaryLength(22695), 750);
  assert.equal(probationaryLength(1001), 150);
});

// 200 rows: probation 30; one window rows 100..119 (width 20).
const win = [[100, 119]] as const;
function scoresWith(hits: Record<number, number>): Float64Array {
  const s = new Float64Array(200);
  for (const [i, v] of Object.entries(hits)) s[Number(i)] = v;
  return s;
}

test('earliest detection in a window earns the full TP weight; later ones less; none costs fnWeight', () => {
  const early = scoreCorpusProfile([{ name: 'a', scores: scoresWith({ 100: 1 }), windows: win }], std);
  close(early.raw, 1);
  close(early.normalized, 100);
  const late = scoreCorpusProfile([{ name: 'a', scores: scoresWith({ 110: 1 }), windows: win }], std);
  close(late.raw, scaledSigmoid(-(119 - 110 + 1) / 20) / scaledSigmoid(-1));
  const none = scoreCorpusProfile([{ name: 'a', scores: scoresWith({}), windows: win }], std);
  close(none.raw, -1);
  close(none.normalized, 0);
});

test('only the earliest detection counts; repeated detections in a window add nothing', () => {
  const r = scoreCorpusProfile([{ name: 'a', scores: scoresWith({ 100: 1, 105: 1, 119: 1 }), windows: win }], std);
  close(r.raw, 1);
  assert.equal(r.tp, 3);
});

test('false positives: -fpWeight before any window, distance-weighted after one, ignored in probation', () => {
  const rows = sweepFile(scoresWith({ 10: 1, 50: 1, 100: 1, 125: 1, 190: 1 }), win, std).rows;
  assert.equal(rows.length, 170); // probation rows 0..29 dropped
  const sweep = scoreByThreshold(rows, [0], std);
  const at1 = scoreAt(sweep, 1);
  const fpNear = scaledSigmoid((125 - 119) / 19) * std.fpWeight;
  const fpFar = scaledSigmoid((190 - 119) / 19) * std.fpWeight; // beyond 3 widths -> -1
  close(at1.score, 1 - std.fpWeight + fpNear + fpFar);
  assert.equal(at1.fp, 3);
  close(fpFar, -std.fpWeight);
});

test('corpus threshold is chosen to maximise the score and a window in one file is independent of another', () => {
  // File a: true spike 0.9 at window start, noise 0.95 far from windows (costly FP). Best threshold is 0.9 only if
  // the TP outweighs the FP: TP +1 - 0.11 > 0, so threshold <= 0.9 wins over 1.1 (score -2 with both windows missed).
  const a = scoresWith({ 100: 0.9, 60: 0.95 });
  const b = scoresWith({ 105: 0.5 });
  const r = scoreCorpusProfile(
    [
      { name: 'a', scores: a, windows: win },
      { name: 'b', scores: b, windows: win },
    ],
    std,
  );
  assert.equal(r.threshold, 0.5);
  close(r.raw, 1 - 0.11 + scaledSigmoid(-(119 - 105 + 1) / 20) / scaledSigmoid(-1));
  assert.equal(r.nullScore, -2);
  assert.equal(r.perfectScore, 2);
});

test('timestamps and windows map onto row indices', () => {
  const ts = ['2014-04-10 07:10:00', '2014-04-10 07:15:00', '2014-04-10 07:20:00', '2014-04-10 07:25:00'].map(
    parseNabTime,
  );
  assert.deepEqual(windowsToIndices(ts, [['2014-04-10 07:15:00.000000', '2014-04-10 07:20:00.000000']]), [[1, 2]]);
  assert.throws(() => parseNabTime('yesterday'), /NAB timestamp 'yesterday'/);
});
