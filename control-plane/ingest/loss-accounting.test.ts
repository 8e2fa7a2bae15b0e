import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { reconcileLoss, reportedRanges, subtract, union } from './loss-accounting.ts';

describe('loss accounting', () => {
  it('union and subtract on inclusive ranges', () => {
    assert.deepEqual(
      union([
        [5, 6],
        [1, 2],
        [3, 3],
        [9, 12],
        [10, 11],
      ]),
      [
        [1, 3],
        [5, 6],
        [9, 12],
      ],
    );
    assert.deepEqual(
      subtract(
        [
          [1, 10],
          [20, 30],
        ],
        [
          [0, 2],
          [5, 6],
          [10, 21],
          [30, 40],
        ],
      ),
      [
        [3, 4],
        [7, 9],
        [22, 29],
      ],
    );
    assert.deepEqual(subtract([[1, 3]], []), [[1, 3]]);
  });

  it('reads the ranges of a drop event, or the span from agents older than D1', () => {
    assert.deepEqual(
      reportedRanges({
        ranges: [
          [3, 4],
          [7, 7],
          ['x', 1],
          [9, 8],
        ],
        fromSeq: 3,
        toSeq: 7,
      }),
      [
        [3, 4],
        [7, 7],
      ],
    );
    assert.deepEqual(reportedRanges({ fromSeq: 3, toSeq: 7 }), [[3, 7]]);
    assert.deepEqual(reportedRanges({ count: 2 }), []);
  });

  it('splits missing seqs into explained, unexplained and before the oldest', () => {
    // stored: 4..5, 9, 12..20; gaps 1..3, 6..8, 10..11; drops reported 2..3, 6..8 and 14 (stored anyway)
    const loss = reconcileLoss(
      {
        oldest: 4,
        newest: 20,
        stored: 12,
        gaps: [
          [1, 3],
          [6, 8],
          [10, 11],
        ],
        truncated: false,
      },
      [{ ranges: [[2, 3]] }, { ranges: [[6, 8]] }, { ranges: [[14, 14]] }],
    );
    assert.deepEqual(loss, {
      oldestSeq: 4,
      newestSeq: 20,
      stored: 12,
      missing: 8,
      explained: 5,
      unexplained: 2,
      beforeOldest: 1,
      unexplainedRanges: [[10, 11]],
      dropEvents: 3,
      reported: 6,
      reportedButStored: 1,
      truncated: false,
    });
  });

  it('nothing stored: nothing missing', () => {
    const loss = reconcileLoss({ oldest: null, newest: null, stored: 0, gaps: [], truncated: false }, []);
    assert.deepEqual([loss.missing, loss.explained, loss.unexplained, loss.reported], [0, 0, 0, 0]);
  });
});
