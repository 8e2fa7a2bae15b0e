import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readModelFile } from './model-file.ts';
import { SHIPPED_MODELS } from './inference.ts';
import { createOnnxEngine } from './onnx-engine.ts';
import { initialState, outputBuffers, stepStateful } from './stateful-model.ts';

describe('onnx engine', () => {
  it('writes outputs into preallocated buffers exactly as it returns fresh ones, step after step', async () => {
    const file = await readModelFile(SHIPPED_MODELS.anomaly);
    const session = await createOnnxEngine().load(file.bytes);
    const F = 6;
    let fresh = initialState(file.card, F);
    let reused = initialState(file.card, F);
    const into = outputBuffers(file.card, F);
    const x = new Float32Array(F);
    for (let t = 0; t < 400; t++) {
      for (let j = 0; j < F; j++) x[j] = j === 2 && t % 7 === 0 ? Number.NaN : 10 * j + Math.sin(t / 9 + j) + (t === 350 ? 40 : 0);
      const a = await stepStateful(session, x, fresh, t * 60_000);
      const previous = reused;
      const b = await stepStateful(session, x, previous, t * 60_000, into);
      for (const name of session.outputNames) {
        assert.equal(b.outputs[name], into[name], `${name} returned as the preallocated buffer`);
        assert.deepEqual(Array.from(b.outputs[name]!.data), Array.from(a.outputs[name]!.data), `${name} at step ${t}`);
      }
      for (const name in previous) into[`${name}_out`] = previous[name]!;
      fresh = a.state;
      reused = b.state;
    }
    assert.ok((await stepStateful(session, x, fresh, 0)).outputs.score!.data.length === 1);
    await session.release();
  });
});
