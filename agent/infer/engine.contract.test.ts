/**
 * Contract of the inference engine port (engine.ts), run against every implementation with the shipped model files:
 * names, shapes, fresh output buffers, stateful stepping, and refusals.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAutoEngine } from './auto-engine.ts';
import type { InferenceEngine, Tensor } from './engine.ts';
import { SHIPPED_MODELS } from './inference.ts';
import { createJsEngine } from './js-engine.ts';
import { readModelFile } from './model-file.ts';
import { createOnnxEngine } from './onnx-engine.ts';

/** The univariate anomaly model 4.0.0 run per feature (anomaly-perfeature; the agent's default is anomaly-multi 6): these
 * tests exercise its tensor layout. */
const PERFEATURE_MODEL = SHIPPED_MODELS.anomaly.replace('anomaly-multi', 'anomaly-perfeature');

const implementations: [string, () => InferenceEngine][] = [
  ['onnxruntime', () => createOnnxEngine()],
  ['js', () => createJsEngine()],
  ['auto', () => createAutoEngine(createJsEngine(), createOnnxEngine())],
];

const F = 4;
function anomalyFeeds(x: number[], state?: Record<string, Tensor>): Record<string, Tensor> {
  return {
    x: { data: Float32Array.from(x), dims: [1, F] },
    fstate: state?.fstate_out ?? { data: new Float32Array(9 * F), dims: [9, F] },
    gstate: state?.gstate_out ?? { data: new Float32Array(1), dims: [1, 1] },
    season: state?.season_out ?? { data: new Float32Array(3 * F), dims: [3, F] },
  };
}

for (const [name, create] of implementations) {
  describe(`inference engine contract: ${name}`, async () => {
    const anomaly = await readModelFile(PERFEATURE_MODEL);
    const disk = await readModelFile(SHIPPED_MODELS.disk);

    it('exposes the input and output names of the card', async () => {
      for (const file of [anomaly, disk]) {
        const s = await create().load(file.bytes);
        assert.deepEqual([...s.inputNames].sort(), file.card.inputs.map((i) => i.name).sort());
        assert.deepEqual([...s.outputNames].sort(), file.card.outputs.map((o) => o.name).sort());
        await s.release();
      }
    });

    it('steps the anomaly model with state fed back: concrete dims; an output outlives the next two runs', async () => {
      const s = await create().load(anomaly.bytes);
      const first = await s.run(anomalyFeeds([1, 2, 3, 4]));
      assert.deepEqual(first.score!.dims, [1, 1]);
      assert.deepEqual(first.contributions!.dims, [1, F]);
      assert.deepEqual(first.fstate_out!.dims, [9, F]);
      assert.deepEqual(first.season_out!.dims, [3, F]);
      const kept = Float32Array.from(first.fstate_out!.data);
      const second = await s.run(anomalyFeeds([1, 2, Number.NaN, 4], first));
      assert.notEqual(
        second.fstate_out!.data,
        first.fstate_out!.data,
        'a run must not reuse the buffer of the previous output',
      );
      const third = await s.run(anomalyFeeds([5, 2, 3, 4], second));
      assert.deepEqual(first.fstate_out!.data, kept, 'an output is not overwritten by the next two runs');
      assert.notDeepEqual(third.fstate_out!.data, second.fstate_out!.data);
      assert.ok(second.score!.data[0]! >= 0 && second.score!.data[0]! <= 1);
      await s.release();
    });

    it('runs the disk model on a batch of feature rows: one probability in (0, 1) per row', async () => {
      const s = await create().load(disk.bytes);
      const K = disk.card.inputs[0]!.shape[1] as number;
      const rows = 3;
      const out = await s.run({
        features: { data: Float32Array.from({ length: rows * K }, (_, i) => (i % 7) * 3), dims: [rows, K] },
      });
      assert.deepEqual(out.probability!.dims, [rows, 1]);
      for (const p of out.probability!.data) assert.ok(p > 0 && p < 1, `probability ${p}`);
      await s.release();
    });

    it('refuses bytes that are not a model, and a run without every input', async () => {
      await assert.rejects(create().load(new Uint8Array([1, 2, 3, 4, 5])));
      const s = await create().load(anomaly.bytes);
      const feeds = anomalyFeeds([1, 2, 3, 4]);
      delete (feeds as Partial<typeof feeds>).season;
      await assert.rejects(s.run(feeds), /season/);
      await s.release();
    });
  });
}
