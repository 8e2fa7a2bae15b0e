// Proves the scorer against NAB's published results. Needs the NAB dataset (not part of the repo): set
// HOMEOSTAT_NAB_DIR or place it at ../shared/datasets/nab; otherwise the test is skipped with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultNabDir, hasNab, loadNab, loadPublishedScores } from './dataset.ts';
import { scoreCorpus } from './corpus.ts';

const dir = defaultNabDir();
const skip = hasNab(dir) ? false : `NAB dataset not found at ${dir} (set HOMEOSTAT_NAB_DIR)`;

const published = {
  numenta: { standard: 70.1, reward_low_FP_rate: 63.1, reward_low_FN_rate: 74.3 },
  windowedGaussian: { standard: 39.6, reward_low_FP_rate: 20.9, reward_low_FN_rate: 47.4 },
} as const;

test('published numenta and windowedGaussian anomaly_score columns reproduce their NAB scores within 0.5', {
  skip,
}, () => {
  const files = loadNab(dir);
  assert.equal(files.length, 58);
  for (const [det, want] of Object.entries(published)) {
    const got = scoreCorpus(
      files.map((f) => ({ name: f.name, windows: f.windows, scores: loadPublishedScores(dir, det, f.name) })),
    );
    for (const [profile, score] of Object.entries(want)) {
      const n = got[profile as keyof typeof want].normalized;
      assert.ok(Math.abs(n - score) <= 0.5, `${det} ${profile}: got ${n.toFixed(2)}, published ${score}`);
    }
  }
});
