import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphBuilder } from '../../models/onnx/graph.ts';
import { createAutoEngine } from './auto-engine.ts';
import type { InferenceEngine } from './engine.ts';
import { SHIPPED_MODELS } from './inference.ts';
import { createJsEngine } from './js-engine.ts';
import { readModelFile } from './model-file.ts';
import { createOnnxEngine } from './onnx-engine.ts';

const auto = () => createAutoEngine(createJsEngine(), createOnnxEngine());

/** The JS engine with one output nudged by `by` (relative): what a subtly wrong fast engine would look like. */
function nudged(by: number): InferenceEngine {
  const js = createJsEngine();
  return {
    name: 'nudged',
    async load(bytes) {
      const s = await js.load(bytes);
      return { ...s, run: async (feeds) => {
        const out = await s.run(feeds);
        const first = out[s.outputNames[0]!]!;
        return { ...out, [s.outputNames[0]!]: { dims: first.dims, data: first.data.map((v) => v + by * Math.max(1, Math.abs(v))) } };
      } };
    },
  };
}

describe('auto inference engine', () => {
  it('runs both shipped models on the JS engine once they agree with onnxruntime', async () => {
    for (const path of [SHIPPED_MODELS.anomaly, SHIPPED_MODELS.disk]) {
      const s = await auto().load((await readModelFile(path)).bytes);
      assert.equal(s.engine, 'js');
      assert.match(s.engineNote!, /^agrees with onnxruntime on 64 probe steps$/);
      await s.release();
    }
  });

  it('keeps onnxruntime for a graph the JS engine cannot run, saying why, and the model still runs', async () => {
    const g = new GraphBuilder('matmul');
    const x = g.input('x', 'float32', [1, 2]);
    g.output('y', 'float32', [1, 2], g.op('MatMul', [x, g.initializer('w', new Float32Array([1, 2, 3, 4]), [2, 2])]));
    const s = await auto().load(g.toBytes());
    assert.equal(s.engine, 'onnxruntime');
    assert.match(s.engineNote!, /^js engine: .*op MatMul is not supported/);
    assert.deepEqual([...(await s.run({ x: { data: new Float32Array([1, 1]), dims: [1, 2] } })).y!.data], [4, 6]);
  });

  it('keeps onnxruntime when the fast engine disagrees beyond 1e-5, and accepts one within it', async () => {
    const bytes = (await readModelFile(SHIPPED_MODELS.anomaly)).bytes;
    const off = await createAutoEngine(nudged(1e-4), createOnnxEngine()).load(bytes);
    assert.equal(off.engine, 'onnxruntime');
    assert.match(off.engineNote!, /^nudged engine disagrees with onnxruntime: output 'score'\[0\] is .* at probe step 0$/);
    const close = await createAutoEngine(nudged(1e-6), createOnnxEngine()).load(bytes);
    assert.equal(close.engine, 'nudged');
  });
});
