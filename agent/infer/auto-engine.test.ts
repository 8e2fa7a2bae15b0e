import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphBuilder } from '../../models/onnx/graph.ts';
import { ModelError } from '../../contract/errors.ts';
import { createAutoEngine } from './auto-engine.ts';
import { NO_REFERENCE_NOTE } from './child-verifier.ts';
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
      return {
        ...s,
        run: async (feeds) => {
          const out = await s.run(feeds);
          const first = out[s.outputNames[0]!]!;
          return {
            ...out,
            [s.outputNames[0]!]: { dims: first.dims, data: first.data.map((v) => v + by * Math.max(1, Math.abs(v))) },
          };
        },
      };
    },
  };
}

/** onnxruntime-node as an agent host without it sees it. */
const absentOnnx: InferenceEngine = {
  name: 'onnxruntime',
  async load() {
    throw new ModelError('(onnxruntime)', 'onnxruntime-node is not installed (an optional dependency)');
  },
};

describe('auto inference engine', () => {
  it('runs a model with an agreeing verdict for its build on the JS engine without verifying; without one and without onnxruntime, refuses it saying why', async () => {
    const file = await readModelFile(SHIPPED_MODELS.anomaly);
    assert.ok(file.verdict, 'the shipped model has its verdict beside it');
    let verified = 0;
    const engine = createAutoEngine(createJsEngine(), absentOnnx, {
      verify: async () => (verified++, { agrees: false, note: NO_REFERENCE_NOTE }),
    });
    const s = await engine.load(file.bytes, { verdict: file.verdict });
    assert.equal(s.engine, 'js');
    assert.equal(verified, 0);
    await s.release();
    await assert.rejects(
      engine.load(file.bytes),
      /no verdict for this engine build and onnxruntime-node is not installed to verify it; onnxruntime: .*not installed/,
    );
    const other = { ...(file.verdict as object), engineId: 'js/0' };
    await assert.rejects(engine.load(file.bytes, { verdict: other }), /not installed to verify it/);
    const disagreeing = {
      ...(file.verdict as object),
      agreed: false,
      note: 'js engine disagrees with onnxruntime: test',
    };
    await assert.rejects(
      engine.load(file.bytes, { verdict: disagreeing }),
      /^.*js engine disagrees with onnxruntime: test \(verdict of/,
    );
    assert.equal(verified, 2, 'a disagreeing verdict for this build is not probed again');
  });

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

  it("counts infinities on both sides as agreement (Log of the probe's zeros)", async () => {
    const g = new GraphBuilder('log');
    const x = g.input('x', 'float32', [1, 'F']);
    g.output('y', 'float32', [1, 'F'], g.op('Log', [x]));
    assert.equal((await auto().load(g.toBytes())).engine, 'js');
  });

  it('moves a session to onnxruntime for good when the JS engine fails on a shape the probe did not cover; bad input moves nothing', async () => {
    const g = new GraphBuilder('outer');
    const x = g.input('x', 'float32', ['N', 1]);
    const y = g.input('y', 'float32', [1, 'N']);
    g.output('s', 'float32', [1, 1], g.op('ReduceSum', [g.op('Mul', [x, y]), g.ints([0, 1])], { keepdims: 1 }));
    const bytes = g.toBytes();
    const bad = await auto().load(bytes);
    await assert.rejects(bad.run({ x: { data: new Float32Array(2), dims: [2, 1] } }), /y/);
    assert.equal(bad.engine, 'js', 'input both engines refuse changes nothing');
    const s = await auto().load(bytes);
    assert.equal(s.engine, 'js');
    const N = 4200; // N² elements: past the JS engine's plan bound (2^24), nothing for onnxruntime
    const out = await s.run({
      x: { data: new Float32Array(N).fill(1), dims: [N, 1] },
      y: { data: new Float32Array(N).fill(2), dims: [1, N] },
    });
    assert.equal(out.s!.data[0], 2 * N * N);
    assert.equal(s.engine, 'onnxruntime');
    assert.match(
      s.engineNote!,
      /^js engine failed on a run \(model 'outer': value .* past 16777216 elements.*\); on onnxruntime since$/,
    );
    assert.equal(
      (
        await s.run({
          x: { data: new Float32Array([1, 2]), dims: [2, 1] },
          y: { data: new Float32Array([3, 4]), dims: [1, 2] },
        })
      ).s!.data[0],
      21,
    );
    await s.release();
  });

  it('keeps onnxruntime when the fast engine disagrees beyond 1e-5, and accepts one within it', async () => {
    const bytes = (await readModelFile(SHIPPED_MODELS.anomaly)).bytes;
    const off = await createAutoEngine(nudged(1e-4), createOnnxEngine()).load(bytes);
    assert.equal(off.engine, 'onnxruntime');
    assert.match(
      off.engineNote!,
      /^nudged engine disagrees with onnxruntime: output 'score'\[0\] is .* at probe step 0$/,
    );
    const close = await createAutoEngine(nudged(1e-6), createOnnxEngine()).load(bytes);
    assert.equal(close.engine, 'nudged');
  });
});
