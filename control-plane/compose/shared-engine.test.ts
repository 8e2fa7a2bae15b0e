import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ModelError } from '../../contract/errors.ts';
import type { InferenceEngine } from '../../agent/infer/engine.ts';
import { createEngine } from '../../agent/infer/engines.ts';
import { createInference, SHIPPED_MODELS } from '../../agent/infer/inference.ts';
import { createJsEngine } from '../../agent/infer/js-engine.ts';
import { createSharedEngine } from './shared-engine.ts';

const anomaly = new Uint8Array(readFileSync(SHIPPED_MODELS.anomaly));

/** The JS engine, counting its loads and releases. */
function countingEngine() {
  const inner = createJsEngine({ warmupMs: 0 });
  const counts = { loads: 0, releases: 0 };
  const engine: InferenceEngine = {
    name: inner.name,
    ...(inner.id ? { id: inner.id } : {}),
    async load(bytes, options) {
      counts.loads++;
      const s = await inner.load(bytes, options);
      return { ...s, run: (f) => s.run(f), release: async () => void counts.releases++ };
    },
  };
  return { engine, counts };
}

describe('shared engine (demo fleet)', () => {
  it('loads a model version once for every user and releases it with the last', async () => {
    const { engine, counts } = countingEngine();
    const shared = createSharedEngine(engine);
    const [a, b] = await Promise.all([shared.load(anomaly), shared.load(anomaly)]);
    assert.equal(counts.loads, 1);
    assert.equal(shared.loaded(), 1);
    assert.equal(shared.id, engine.id);
    await a.release();
    await a.release(); // a second release of the same view counts once
    assert.equal(counts.releases, 0);
    await b.release();
    assert.equal(counts.releases, 1);
    assert.equal(shared.loaded(), 0);
    await (await shared.load(anomaly)).release();
    assert.equal(counts.loads, 2);
  });

  it("keeps each user's outputs valid however many runs other users make", async () => {
    const shared = createSharedEngine(createJsEngine({ warmupMs: 0 }));
    const dir = mkdtempSync(join(tmpdir(), 'shared-engine-'));
    // two agents' inference stages on one shared session, as the demo fleet runs them
    const stages = await Promise.all(
      [0, 1].map(async (k) => {
        const inf = await createInference({ engine: shared, stateDir: join(dir, `a${k}`) });
        await inf.start();
        return inf;
      }),
    );
    const alone = await createInference({ engine: createJsEngine({ warmupMs: 0 }), stateDir: join(dir, 'alone') });
    await alone.start();
    assert.equal(shared.loaded(), 2, 'the anomaly and the disk model, once each');
    const features = (t: number) => ({ 'cpu.util_pct': 20 + (t % 7), 'mem.used_pct': 40 + (t % 3) });
    for (let t = 0; t < 40; t++) {
      const ts = 1_700_000_000_000 + t * 10_000;
      const mine = await stages[0]!.onCycle({ ts, features: features(t) });
      // another agent's cycles in between, on other readings: more runs than the JS engine's output ring holds
      for (let k = 0; k < 4; k++)
        await stages[1]!.onCycle({ ts: ts + k, features: { 'cpu.util_pct': 95 - k, 'mem.used_pct': 5 + k } });
      const reference = await alone.onCycle({ ts, features: features(t) });
      assert.equal(mine.scores.anomaly?.score, reference.scores.anomaly?.score, `step ${t}`);
    }
    for (const s of [...stages, alone]) await s.stop();
    assert.equal(shared.loaded(), 0);
  });

  it('does not keep a failed load', async () => {
    let calls = 0;
    const failing: InferenceEngine = {
      name: 'failing',
      async load() {
        calls++;
        throw new ModelError('m', 'cannot load');
      },
    };
    const shared = createSharedEngine(failing);
    await assert.rejects(shared.load(anomaly), ModelError);
    await assert.rejects(shared.load(anomaly), ModelError);
    assert.equal(calls, 2);
    assert.equal(shared.loaded(), 0);
  });

  it('runs on the auto engine the agents use, saying which engine runs the model', async () => {
    const shared = createSharedEngine(createEngine());
    const dir = mkdtempSync(join(tmpdir(), 'shared-engine-auto-'));
    const inf = await createInference({ engine: shared, stateDir: dir });
    await inf.start();
    assert.equal(inf.engines().anomaly?.engine, 'js');
    await inf.stop();
  });
});
