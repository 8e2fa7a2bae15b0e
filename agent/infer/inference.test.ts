import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ModelCardSchema } from '../../contract/models/card.ts';
import { IncompatibleModelError, ModelError } from '../../contract/errors.ts';
import { AlertSettingsSchema } from '../../contract/models/alerting.ts';
import { createInference, SHIPPED_MODELS } from './inference.ts';
import { createOnnxEngine } from './onnx-engine.ts';

const engine = createOnnxEngine();

/** A deterministic "normal" host: a daily-ish sine on cpu plus noise-free steady memory and disk latency. */
function normal(i: number): Record<string, number | null> {
  const noise = (k: number) => Math.sin(i * 12.9898 + k * 78.233) * 0.5; // deterministic pseudo-noise in [-0.5, 0.5]
  return {
    'cpu.util_pct': 20 + 5 * Math.sin(i / 20) + noise(1),
    'mem.used_pct': 40 + noise(2) * 0.2,
    'disk.sda.await_ms': 3 + noise(3) * 0.2,
    'temp.pkg_c': null,
  };
}

async function warm(inf: Awaited<ReturnType<typeof createInference>>, n: number, t0 = 0) {
  for (let i = 0; i < n; i++) {
    const r = await inf.onCycle({ ts: (t0 + i) * 10_000, features: normal(t0 + i) });
    assert.equal(
      r.events.filter((e) => e.type.startsWith('anomaly.')).length,
      0,
      `no detection on normal data (cycle ${t0 + i})`,
    );
  }
}

describe('agent inference stage', () => {
  it('scores a spike without alerting on it; with a one-sample alert setting it alerts and names the feature', async () => {
    // Score and alert are two things: the fleet defaults never start an alert on one sample.
    const quiet = await createInference({ engine, stateDir: mkdtempSync(join(tmpdir(), 'infer-')) });
    await quiet.start();
    await warm(quiet, 300);
    const spike = { ...normal(300), 'disk.sda.await_ms': 45 };
    const q = await quiet.onCycle({ ts: 3_000_000, features: spike });
    assert.ok(q.scores.anomaly!.score >= 0.5, `score ${q.scores.anomaly!.score}`);
    assert.deepEqual(
      q.events.map((e) => e.type),
      [],
    );
    assert.equal(quiet.alerting(), false);
    await quiet.stop();

    const inf = await createInference({
      engine,
      stateDir: mkdtempSync(join(tmpdir(), 'infer-')),
      alert: AlertSettingsSchema.parse({ minSamples: 1, clearMs: 30_000 }),
    });
    await inf.start();
    await warm(inf, 300);
    const r = await inf.onCycle({ ts: 3_000_000, features: spike });
    assert.ok(r.scores.anomaly, 'anomaly score attached');
    const started = r.events.find((e) => e.type === 'anomaly.started');
    assert.ok(started, `expected an alert, score ${r.scores.anomaly!.score}`);
    assert.equal(r.scores.anomaly!.top[0]!.feature, 'disk.sda.await_ms');
    assert.ok(
      r.scores.anomaly!.top[0]!.ratio! > 10 && r.scores.anomaly!.top[0]!.ratio! < 20,
      `ratio ${r.scores.anomaly!.top[0]!.ratio}`,
    );
    assert.match(started.message, /disk\.sda\.await_ms \d+x its usual/);
    assert.equal(inf.alerting(), true);
    // calm ends it: the smoothed score decays below the exit level, then stays there for 30 s
    const ended = [];
    for (let i = 1; i <= 60 && ended.length === 0; i++)
      ended.push(...(await inf.onCycle({ ts: 3_000_000 + i * 10_000, features: normal(300 + i) })).events);
    assert.deepEqual(
      ended.map((e) => e.type),
      ['anomaly.ended'],
    );
    await inf.stop();
  });

  it('keeps the baseline across a restart (no relearning: a spike right after restart is still detected)', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'infer-'));
    const first = await createInference({ engine, stateDir });
    await first.start();
    await warm(first, 300);
    await first.stop();
    const second = await createInference({ engine, stateDir });
    await second.start();
    await warm(second, 5, 300);
    // a fresh model would stay silent for its warm-up; the restored one scores the sustained jump high within 5
    // cycles (the score is smoothed)
    let peak = 0;
    for (let k = 0; k < 5; k++) {
      const r = await second.onCycle({
        ts: 3_100_000 + k * 10_000,
        features: { ...normal(305 + k), 'cpu.util_pct': 99 },
      });
      peak = Math.max(peak, r.scores.anomaly!.score);
    }
    assert.ok(peak >= 0.5, `restored baseline scores the jump high at once (peak ${peak})`);
    await second.stop();
  });

  it('saves an alert episode as it starts: after a kill -9 the restarted stage continues it, no second start', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'infer-'));
    const alert = AlertSettingsSchema.parse({ minSamples: 1, clearMs: 600_000 });
    const first = await createInference({ engine, stateDir, alert });
    await first.start();
    await warm(first, 40); // one routine save at cycle 30 (SAVE_EVERY_CYCLES), none since
    const spike = { ...normal(40), 'disk.sda.await_ms': 45 };
    const r = await first.onCycle({ ts: 400_000, features: spike });
    assert.deepEqual(
      r.events.filter((e) => e.type.startsWith('anomaly.')).map((e) => e.type),
      ['anomaly.started'],
    );
    // the save runs after the cycle, off it; wait for the file to say so (bounded), then "crash": no stop()
    const statePath = join(stateDir, 'infer-state.json');
    const saved = (): { alert?: { active?: boolean } } => {
      try {
        return JSON.parse(readFileSync(statePath, 'utf8'));
      } catch {
        return {}; // not written yet
      }
    };
    for (let i = 0; i < 100_000 && saved().alert?.active !== true; i++) await new Promise((r) => setImmediate(r));
    assert.equal(saved().alert?.active, true, 'the episode reached the state file');
    const second = await createInference({ engine, stateDir, alert });
    await second.start();
    assert.equal(second.alerting(), true, 'the episode continues after the restart');
    const again = await second.onCycle({ ts: 410_000, features: spike });
    assert.deepEqual(
      again.events.filter((e) => e.type.startsWith('anomaly.')).map((e) => e.type),
      [],
    );
    await second.stop();
  });

  it('falls back to the shipped model when the rolled-out one is corrupt, and reports it', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'infer-'));
    const dir = join(stateDir, 'models', 'anomaly');
    cpSync(SHIPPED_MODELS.anomaly, join(dir, 'model.onnx'));
    cpSync(SHIPPED_MODELS.anomaly.replace('.onnx', '.card.json'), join(dir, 'model.card.json'));
    const bytes = readFileSync(join(dir, 'model.onnx'));
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    writeFileSync(join(dir, 'model.onnx'), bytes);
    const inf = await createInference({ engine, stateDir });
    await inf.start();
    const r = await inf.onCycle({ ts: 0, features: normal(0) });
    const failed = r.events.find((e) => e.type === 'model.load-failed');
    assert.ok(failed);
    assert.match(failed.message, /sha256 mismatch/);
    assert.match(inf.versions().anomaly!, /^anomaly-multi@/);
    assert.ok(r.scores.anomaly, 'still scoring with the shipped model');
    await inf.stop();
  });

  it('refuses a swap whose bytes do not match the card and keeps running the current model', async () => {
    const inf = await createInference({ engine, stateDir: mkdtempSync(join(tmpdir(), 'infer-')) });
    await inf.start();
    const card = ModelCardSchema.parse(
      JSON.parse(readFileSync(SHIPPED_MODELS.anomaly.replace('.onnx', '.card.json'), 'utf8')),
    );
    const before = inf.versions().anomaly;
    await assert.rejects(
      inf.swap('anomaly', new Uint8Array([1, 2, 3]), card),
      (err: unknown) => err instanceof ModelError && /sha256 mismatch/.test(err.message),
    );
    assert.equal(inf.versions().anomaly, before);
    const good = new Uint8Array(readFileSync(SHIPPED_MODELS.anomaly));
    // The right bytes fitted on the disk features: refused for the anomaly slot, the running model stays.
    await assert.rejects(
      inf.swap('anomaly', good, { ...card, version: 'alien', featureSchemaVersion: 'disk-features/3' }),
      (err: unknown) =>
        err instanceof IncompatibleModelError &&
        err.message ===
          `model anomaly-multi@alien: feature schema 'disk-features/3' is not what this agent feeds the anomaly model ` +
            '(hs-features/1, univariate)',
    );
    assert.equal(inf.versions().anomaly, before);
    assert.equal(await inf.swap('anomaly', good, { ...card, version: card.version }), before);
    const r = await inf.onCycle({ ts: 0, features: normal(0) });
    assert.ok(r.scores.anomaly);
    await inf.stop();
  });
});
