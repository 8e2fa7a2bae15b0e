import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AlertSettingsSchema, DEFAULT_ALERT_SETTINGS, type AlertSettings } from '../../contract/models/alerting.ts';
import { readEvent } from '../../contract/protocol/events.ts';
import { createFakeClock } from '../testing/fake-clock.ts';
import { createAnomalyAlert, type AlertEvent, type AnomalyAlert } from './alert-state.ts';

const CYCLE = 10_000;
const settings = (s: Partial<AlertSettings> = {}): AlertSettings => AlertSettingsSchema.parse(s);

/** Feeds scores one cycle apart on an injected clock; returns the events with the time each was emitted. */
function feeder(alert: AnomalyAlert) {
  const clock = createFakeClock();
  const t0 = clock.now();
  const out: { at: number; e: AlertEvent }[] = [];
  return {
    t0,
    clock,
    out,
    feed(scores: number[], feature = 'cpu.util_pct') {
      for (const score of scores) {
        const top = [{ feature, contribution: score, ratio: 1 + score }];
        for (const e of alert.step({ ts: clock.now(), score, model: 'm@1', top, explain: (t) => t[0]!.feature }))
          out.push({ at: clock.now(), e });
        clock.advance(CYCLE);
      }
    },
  };
}

const types = (out: { e: AlertEvent }[]) => out.map((x) => x.e.type);

test('a single-sample spike never starts an alert, however high', () => {
  const f = feeder(createAnomalyAlert());
  f.feed([0, 1, 0, 0, 1, 0.1, 0.99, 0, ...Array(100).fill(0)]);
  assert.equal(f.out.length, 0);
});

test('a sustained score starts one episode at its first sample, with the peak and the contributions at the peak', () => {
  const f = feeder(createAnomalyAlert(settings({ minSamples: 3 })));
  f.feed([0.1, 0.6, 0.9, 0.7], 'a');
  assert.deepEqual(types(f.out), ['anomaly.started']);
  const e = f.out[0]!.e;
  assert.equal(f.out[0]!.at, f.t0 + 3 * CYCLE, 'declared on the third sample at or above enter');
  assert.ok(e.type === 'anomaly.started');
  if (e.type !== 'anomaly.started') return;
  assert.equal(e.data.startedAt, f.t0 + CYCLE, 'starts at the first sample of the run');
  assert.equal(e.data.peak, 0.9);
  assert.equal(e.data.score, 0.7);
  assert.deepEqual(e.data.top, [{ feature: 'a', contribution: 0.9, ratio: 1.9 }]);
  assert.equal(e.severity, 'warning');
  assert.match(e.message, /anomaly alert started: score 0\.90 \(enter 0\.5\).*: a$/);
  assert.ok(readEvent(e).ok, 'a catalogue event');
});

test('hysteresis: between exit and enter it stays on; it ends only after clearFor below exit, with duration and peak', () => {
  const s = settings({ enter: 0.6, exit: 0.3, clearMs: 60_000, cooldownMs: 0 });
  const f = feeder(createAnomalyAlert(s));
  f.feed([0.7, 0.95]); // started at t0
  f.feed(Array(30).fill(0.4)); // above exit: 5 minutes still on
  f.feed([0.1, 0.1, 0.1, 0.5]); // a dip shorter than clearFor, then back above exit: one episode
  const calm = f.clock.now(); // the first calm sample of the run that ends it
  f.feed([0.1, 0.1, 0.05, 0.05, 0.05, 0.05]); // 50 s calm
  assert.deepEqual(types(f.out), ['anomaly.started']);
  f.feed([0.05]); // 60 s calm
  assert.deepEqual(types(f.out), ['anomaly.started', 'anomaly.ended']);
  const end = f.out[1]!;
  assert.ok(end.e.type === 'anomaly.ended');
  if (end.e.type !== 'anomaly.ended') return;
  assert.equal(end.e.data.endedAt, calm, 'ends at the first calm sample');
  assert.equal(end.at, end.e.data.endedAt + 60_000, 'declared once clearFor has passed');
  assert.equal(end.e.data.startedAt, f.t0);
  assert.equal(end.e.data.durationMs, end.e.data.endedAt - f.t0);
  assert.equal(end.e.data.peak, 0.95);
  assert.deepEqual(
    end.e.data.top.map((t) => t.contribution),
    [0.95],
  );
  assert.equal(end.e.severity, 'info');
  assert.ok(readEvent(end.e).ok);
});

test('cool-down: no new episode right after one ended; a run that lasts past it starts one', () => {
  const s = settings({ clearMs: 0, cooldownMs: 60_000 });
  const f = feeder(createAnomalyAlert(s));
  f.feed([0.8, 0.8, 0.1]); // started, then ended at once (clearFor 0)
  assert.deepEqual(types(f.out), ['anomaly.started', 'anomaly.ended']);
  const endedAt = f.out[1]!.at;
  f.feed([0.9, 0.9, 0.9, 0.9]); // within 60 s of the end: held back
  assert.equal(f.out.length, 2);
  f.feed([0.9, 0.9, 0.9]);
  assert.deepEqual(types(f.out), ['anomaly.started', 'anomaly.ended', 'anomaly.started']);
  assert.ok(f.out[2]!.at >= endedAt + 60_000);
  // and without a cool-down the same run starts at once
  const g = feeder(createAnomalyAlert(settings({ clearMs: 0, cooldownMs: 0 })));
  g.feed([0.8, 0.8, 0.1, 0.9, 0.9]);
  assert.deepEqual(types(g.out), ['anomaly.started', 'anomaly.ended', 'anomaly.started']);
});

test('minimum duration: the run must also span minDuration', () => {
  const f = feeder(createAnomalyAlert(settings({ minSamples: 2, minDurationMs: 45_000 })));
  f.feed([0.9, 0.9, 0.9, 0.9, 0.2]); // spans 30 s
  assert.equal(f.out.length, 0);
  f.feed([0.9, 0.9, 0.9, 0.9, 0.9, 0.9]); // spans 50 s
  assert.deepEqual(types(f.out), ['anomaly.started']);
  assert.equal(f.out[0]!.at - (f.out[0]!.e.data as { startedAt: number }).startedAt, 50_000);
});

test('state survives a restart mid-episode (save → new alert) and new settings keep the episode', () => {
  const a = createAnomalyAlert(settings({ clearMs: 20_000, cooldownMs: 0 }));
  const f = feeder(a);
  f.feed([0.8, 0.85]);
  assert.equal(a.active(), true);
  const saved = JSON.parse(JSON.stringify(a.save()));
  const b = createAnomalyAlert(settings({ clearMs: 20_000, cooldownMs: 0 }), saved);
  assert.equal(b.active(), true);
  b.configure(settings({ enter: 0.9, exit: 0.5, clearMs: 20_000, cooldownMs: 0 }));
  const events: AlertEvent[] = [];
  let t = f.clock.now();
  for (const score of [0.6, 0.4, 0.4, 0.4]) {
    events.push(...b.step({ ts: t, score, model: 'm@1', top: [] }));
    t += CYCLE;
  }
  assert.deepEqual(
    events.map((e) => e.type),
    ['anomaly.ended'],
  );
  assert.equal((events[0]!.data as { peak: number }).peak, 0.85);
});

test('a missing or non-finite score counts as calm', () => {
  const f = feeder(createAnomalyAlert(settings({ clearMs: 0, cooldownMs: 0 })));
  f.feed([0.9, Number.NaN, 0.9]);
  assert.equal(f.out.length, 0);
  f.feed([0.9, Number.POSITIVE_INFINITY]);
  assert.deepEqual(types(f.out), ['anomaly.started', 'anomaly.ended']);
});

test('the fleet defaults: enter 0.5, exit 0.35, two samples, 10 min to clear, 5 min cool-down', () => {
  assert.deepEqual(DEFAULT_ALERT_SETTINGS, {
    enter: 0.5,
    exit: 0.35,
    minSamples: 2,
    minDurationMs: 0,
    clearMs: 600_000,
    cooldownMs: 300_000,
  });
});
