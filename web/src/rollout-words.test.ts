import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gateInWords, historyWords, isFinished, revertLabel, waveHistory, waveRow } from './rollout-words.ts';

test('the health gate result reads as words, not JSON', () => {
  const g = gateInWords(
    'gate fail',
    JSON.stringify({
      reasons: ['anomalies: 0.50/host on the new version vs 0.10/host on the rest (limit ×2 and +0.5)'],
      // the names evaluateGate gives its rates (control-plane/fleet/health-gate.ts)
      rates: {
        errors: { treated: 0, baseline: 0 },
        anomalies: { treated: 0.5, baseline: 0.1 },
        inferenceErrors: { treated: 0, baseline: 0 },
        latencyP95Ms: { treated: 3.5, baseline: 3 },
      },
    }),
  );
  assert.deepEqual(g, {
    verdict: 'failed',
    lines: [
      'anomalies: 0.50/host on the new version vs 0.10/host on the rest (limit ×2 and +0.5)',
      'errors per host: 0 on the new version vs 0 on the rest',
      'anomalies per host: 0.5 on the new version vs 0.1 on the rest',
      'inference errors per host: 0 on the new version vs 0 on the rest',
      'p95 latency (ms): 3.5 on the new version vs 3 on the rest',
    ],
  });
  assert.match(gateInWords('gate insufficient', '{"reasons":[]}')!.verdict, /^is waiting/);
  assert.equal(historyWords('wave 0 sent'), 'wave 1 sent');
  assert.equal(historyWords('wave 2 passed the health gate'), 'wave 3 passed the health gate');
  assert.equal(historyWords('halted'), 'halted');
  assert.equal(gateInWords('gate pass', '{"reasons":[],"rates":{}}')?.verdict, 'passed');
  assert.equal(gateInWords('wave 0 sent'), null);
});

test('a rollback rollout offers to roll forward; a normal one to roll back', () => {
  assert.equal(revertLabel({ version: 'web@3', previousVersion: 'web@2', history: [] }), 'Roll back to web@2');
  assert.equal(revertLabel({ version: 'web@2', previousVersion: 'web@3', history: [] }), 'Roll forward to web@3');
  assert.equal(
    revertLabel({
      version: 'm@1.0.0',
      previousVersion: 'm@2.0.0',
      history: [{ at: 1, event: 'completed', detail: 'sent to every target at once (rollback)' }],
    }),
    'Roll forward to m@2.0.0',
  );
});

test('finished rollouts and their waves come from history', () => {
  assert.equal(isFinished({ status: 'completed' }), true);
  assert.equal(isFinished({ status: 'soaking' }), false);
  const h = [
    { at: 10, event: 'wave 0 sent' },
    { at: 20, event: 'wave 0 passed the health gate' },
    { at: 20, event: 'wave 1 sent' },
  ];
  assert.deepEqual(waveHistory({ history: h }, 0), { sentAt: 10, passedAt: 20 });
  assert.deepEqual(waveHistory({ history: h }, 1), { sentAt: 20, passedAt: null });
  assert.deepEqual(waveHistory({ history: h }, 2), { sentAt: null, passedAt: null });
});

test('a decided wave is frozen at what its gate saw; only the wave being soaked counts live', () => {
  const history = [
    { at: 10, event: 'wave 0 sent' },
    { at: 20, event: 'wave 0 passed the health gate' },
    { at: 20, event: 'wave 1 sent' },
  ];
  const r = {
    status: 'soaking' as const,
    wave: 1,
    waves: [['a', 'b'], ['c'], ['d', 'e']],
    history,
    waveResults: [{ wave: 0, verdict: 'pass' as const, hosts: 2, acknowledged: 1, at: 20 }],
  };
  const asked: string[][] = [];
  const everyHostNow = (ids: string[]) => {
    asked.push(ids);
    return ids.length;
  };
  // every host runs the version today; wave 0 still reads as its gate saw it (1 of 2)
  assert.deepEqual(waveRow(r, 0, everyHostNow), {
    state: 'decided',
    wave: 0,
    verdict: 'pass',
    hosts: 2,
    acknowledged: 1,
    at: 20,
  });
  assert.deepEqual(waveRow(r, 1, everyHostNow), { state: 'live', hosts: 1, acknowledged: 1, current: true });
  assert.deepEqual(waveRow(r, 2, everyHostNow), { state: 'not-sent', hosts: 2 });
  assert.deepEqual(asked, [['c']], 'only the soaked wave is counted from the hosts');
  // a rollout stored before wave results were kept: its history, never today's hosts
  const old = { ...r, status: 'completed' as const, waveResults: undefined };
  assert.deepEqual(waveRow(old, 0, everyHostNow), { state: 'recorded', hosts: 2, sentAt: 10, passedAt: 20 });
  assert.deepEqual(waveRow(old, 1, everyHostNow), { state: 'recorded', hosts: 1, sentAt: 20, passedAt: null });
});
