import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphBuilder } from '../../models/onnx/graph.ts';
import { ModelError } from '../../contract/errors.ts';
import type { ModelSession, Tensor } from './engine.ts';
import { SHIPPED_MODELS } from './inference.ts';
import { createJsEngine } from './js-engine.ts';
import { readModelFile } from './model-file.ts';
import { createOnnxEngine } from './onnx-engine.ts';

/** The univariate anomaly model 4.0.0 run per feature (anomaly-perfeature; the agent's default is anomaly-multi 6): these
 * tests exercise its tensor layout. */
const PERFEATURE_MODEL = SHIPPED_MODELS.anomaly.replace('anomaly-multi', 'anomaly-perfeature');

/** Largest |a - b| / max(1, |b|) over every output; NaN only matches NaN, an infinity only itself. */
function maxDiff(a: Record<string, Tensor>, b: Record<string, Tensor>): number {
  let worst = 0;
  for (const [name, t] of Object.entries(b)) {
    const x = a[name]!;
    assert.deepEqual(x.dims, t.dims, `dims of ${name}`);
    for (let i = 0; i < t.data.length; i++) {
      const p = x.data[i]!,
        q = t.data[i]!;
      if (Number.isNaN(q) || Number.isNaN(p)) {
        assert.equal(Number.isNaN(p), Number.isNaN(q), `${name}[${i}]: ${p} vs ${q}`);
        continue;
      }
      if (p === q) continue; // also ±Infinity on both sides
      worst = Math.max(worst, Math.abs(p - q) / Math.max(1, Math.abs(q)));
    }
  }
  return worst;
}

async function both(bytes: Uint8Array): Promise<[ModelSession, ModelSession]> {
  return [await createJsEngine().load(bytes), await createOnnxEngine().load(bytes)];
}

describe('JS inference engine against onnxruntime', () => {
  it('the shipped anomaly model agrees within 1e-5 over 3000 stateful steps (each side keeps its own state)', async () => {
    const file = await readModelFile(PERFEATURE_MODEL);
    const [js, ort] = await both(file.bytes);
    const F = 12;
    const zero = () => ({
      fstate: { data: new Float32Array(9 * F), dims: [9, F] },
      gstate: { data: new Float32Array(1), dims: [1, 1] },
      season: { data: new Float32Array(3 * F), dims: [3, F] },
    });
    let a: Record<string, Tensor> = zero(),
      b: Record<string, Tensor> = zero();
    let worst = 0;
    let fired = 0;
    for (let i = 0; i < 3000; i++) {
      // daily-ish cycle, noise, a level shift at 1500, spikes, and missing values
      const x = Float32Array.from({ length: F }, (_, j) =>
        j === 5 && i % 37 === 0
          ? Number.NaN
          : 20 * j +
            10 * Math.sin(i / 40 + j) +
            Math.sin(i * 12.9898 + j * 78.233) +
            (i > 1500 && j < 3 ? 50 : 0) +
            (i % 500 === 250 ? 300 : 0),
      );
      const [oa, ob] = [
        await js.run({ ...a, x: { data: x, dims: [1, F] } }),
        await ort.run({ ...b, x: { data: x, dims: [1, F] } }),
      ];
      worst = Math.max(worst, maxDiff(oa, ob));
      if (ob.score!.data[0]! >= 0.5) fired++;
      a = { fstate: oa.fstate_out!, gstate: oa.gstate_out!, season: oa.season_out! };
      b = { fstate: ob.fstate_out!, gstate: ob.gstate_out!, season: ob.season_out! };
    }
    assert.ok(fired > 0, 'the run must include detections, or it compares only quiet outputs');
    assert.ok(worst <= 1e-5, `max relative difference ${worst}`);
  });

  it('the shipped disk model agrees within 1e-5 on a batch of random SMART feature rows', async () => {
    const file = await readModelFile(SHIPPED_MODELS.disk);
    const [js, ort] = await both(file.bytes);
    const K = file.card.inputs[0]!.shape[1] as number;
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const feeds = {
      features: {
        data: Float32Array.from({ length: 500 * K }, () => (rnd() < 0.3 ? 0 : rnd() * 10 ** Math.floor(rnd() * 5))),
        dims: [500, K],
      },
    };
    assert.ok(maxDiff(await js.run(feeds), await ort.run(feeds)) <= 1e-5);
  });

  it('every op it supports matches onnxruntime, with broadcasting, negative axes, n-ary Max/Min/Sum, NaN and infinities', async () => {
    const g = new GraphBuilder('ops');
    const x = g.input('x', 'float32', [2, 'N']);
    const y = g.input('y', 'float32', [1, 'N']);
    const col = g.initializer('col', new Float32Array([0.5, -2]), [2, 1]);
    const [p, q] = g.opN('Split', [x, g.ints([1, 1])], 2, { axis: 0 });
    const [h1, h2] = g.opN('Split', [g.op('Concat', [x, x], { axis: -1 })], 2, { axis: 1 });
    const un = ['Abs', 'Neg', 'Sqrt', 'Reciprocal', 'Relu', 'Sigmoid', 'Exp', 'Log', 'Tanh', 'Floor', 'Ceil'].map(
      (op) => g.op(op, [g.op('Mul', [x, col])]),
    );
    const bin = ['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min'].map((op) => g.op(op, [x, y]));
    const cmp = ['Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'Equal'].map((op) => g.op(op, [x, y]));
    const logic = g.op('Xor', [
      g.op('Or', [cmp[0]!, cmp[4]!]),
      g.op('And', [cmp[2]!, g.op('Not', [g.op('IsNaN', [x])])]),
    ]);
    const picked = g.op('Where', [logic, g.op('Sum', [p!, q!, y]), g.op('Max', [p!, q!, col])]);
    const clipped = g.op('Clip', [g.op('Min', [h1!, h2!, x]), g.scalar(-1), g.scalar(2)]);
    const gathered = g.op('Gather', [x, g.ints([-1, 0])], { axis: 0 });
    const reshaped = g.op('Squeeze', [
      g.op('Unsqueeze', [g.op('Reshape', [gathered, g.ints([-1])]), g.ints([0])]),
      g.ints([0]),
    ]);
    // opset 17: ReduceSum takes its axes as an input, the others as an attribute
    const reduced = [
      g.op('ReduceSum', [picked, g.ints([-1])], { keepdims: 0 }),
      ...['ReduceMean', 'ReduceMin'].map((op) => g.op(op, [picked], { axes: [-1], keepdims: 0 })),
    ];
    const rmax = g.op('ReduceMax', [clipped], { axes: [0], keepdims: 1 });
    const all = [
      ...un,
      ...bin,
      ...cmp.map((c) => g.op('Where', [c, g.scalar(1), g.scalar(0)])),
      picked,
      clipped,
      reshaped,
      ...reduced,
      rmax,
    ];
    for (const [i, v] of all.entries()) {
      g.output(`o${i}`, 'float32', v === reshaped || reduced.includes(v) ? ['R'] : ['A', 'B'], g.op('Identity', [v]));
    }
    const [js, ort] = await both(g.toBytes({ opset: 17 }));
    // the last case pins NaN and infinity semantics (onnxruntime's Max/Min propagate NaN, for one)
    for (const [N, xs] of [
      [3, [0.3, -1.7, 2.5, 0, 4, -0.2]],
      [1, [0.3, -1.7]],
      [3, [Number.NaN, -1.7, Infinity, 0, -Infinity, Number.NaN]],
    ] as const) {
      const feeds = {
        x: { data: Float32Array.from(xs), dims: [2, N] },
        y: { data: Float32Array.from({ length: N }, (_, i) => [0.3, 1, -3][i]!), dims: [1, N] },
      };
      assert.ok(maxDiff(await js.run(feeds), await ort.run(feeds)) <= 1e-5, `N=${N} x=[${xs.join(', ')}]`);
    }
  });

  it('refuses at load a graph with an op it does not run, naming the op', async () => {
    const g = new GraphBuilder('matmul');
    const x = g.input('x', 'float32', [1, 2]);
    g.output('y', 'float32', [1, 2], g.op('MatMul', [x, g.initializer('w', new Float32Array(4), [2, 2])]));
    await assert.rejects(
      createJsEngine().load(g.toBytes()),
      (err: unknown) => err instanceof ModelError && /op MatMul is not supported/.test(err.message),
    );
  });

  it('refuses inputs whose dims contradict the model, naming the input', async () => {
    const file = await readModelFile(PERFEATURE_MODEL);
    const js = await createJsEngine().load(file.bytes);
    const F = 2;
    const feeds = {
      x: { data: new Float32Array(F), dims: [1, F] },
      fstate: { data: new Float32Array(8 * F), dims: [8, F] },
      gstate: { data: new Float32Array(1), dims: [1, 1] },
      season: { data: new Float32Array(3 * F), dims: [3, F] },
    };
    await assert.rejects(
      js.run(feeds),
      (err: unknown) =>
        err instanceof ModelError && /input 'fstate' has dims \[8, 2\], the model declares \[9, F\]/.test(err.message),
    );
  });

  it('splits unevenly with opset 18 num_outputs as onnxruntime does (ceil parts, a smaller last one)', async () => {
    const g = new GraphBuilder('split18');
    const x = g.input('x', 'float32', [1, 'F']);
    const parts = g.opN('Split', [x], 3, { axis: 1, num_outputs: 3 });
    g.output('y', 'float32', [1, 'F'], g.op('Concat', [parts[2]!, parts[0]!, parts[1]!], { axis: 1 }));
    const [js, ort] = await both(g.toBytes({ opset: 18 }));
    const feeds = { x: { data: new Float32Array([1, 2, 3, 4, 5]), dims: [1, 5] } };
    const [a, b] = [await js.run(feeds), await ort.run(feeds)];
    assert.deepEqual([...a.y!.data], [...b.y!.data]);
    assert.deepEqual([...a.y!.data], [5, 1, 2, 3, 4]);
  });

  it('refuses a graph whose tensors would take the plan past its size bound, before allocating them', async () => {
    const g = new GraphBuilder('outer');
    const x = g.input('x', 'float32', ['N', 1]);
    const y = g.input('y', 'float32', [1, 'N']);
    g.output('s', 'float32', [1, 1], g.op('ReduceSum', [g.op('Mul', [x, y]), g.ints([0, 1])], { keepdims: 1 }));
    const js = await createJsEngine().load(g.toBytes());
    const N = 5000;
    await assert.rejects(
      js.run({ x: { data: new Float32Array(N), dims: [N, 1] }, y: { data: new Float32Array(N), dims: [1, N] } }),
      (err: unknown) => err instanceof ModelError && /past 16777216 elements/.test(err.message),
    );
  });

  for (const evil of [
    "x'); globalThis.pwned = 1; ('",
    'x"); globalThis.pwned = 1; ("',
    'x`); globalThis.pwned = 1; (`',
    '${globalThis.pwned = 1}',
    'x\n globalThis.pwned = 1 //',
  ]) {
    it(`writes nothing from the model into the code it compiles: the name ${JSON.stringify(evil)} runs as plain data`, async () => {
      const g = new GraphBuilder(evil);
      const x = g.input(evil, 'float32', [1, 2]);
      g.output('y', 'float32', [1, 2], g.op('Add', [x, g.scalar(1, `${evil}c`)], {}, `${evil}sum`));
      const js = await createJsEngine().load(g.toBytes({ docString: evil }));
      const out = await js.run({ [evil]: { data: new Float32Array([1, 2]), dims: [1, 2] } });
      assert.deepEqual([...out.y!.data], [2, 3]);
      assert.equal((globalThis as { pwned?: number }).pwned, undefined);
    });
  }
});
