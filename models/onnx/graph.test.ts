import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, decodeModel } from './graph.ts';
import { buildModelCard, sha256Hex } from '../../contract/models/card.ts';

function scaler(): Uint8Array {
  const g = new GraphBuilder('scaler');
  const x = g.input('x', 'float32', [1, 'F']);
  const w = g.initializer('w', new Float32Array([2]), [1]);
  const y = g.op('Mul', [x, w]);
  const c = g.op('Clip', [y, g.scalar(0), g.scalar(5)]);
  const [a, b] = g.opN('Split', [c, g.ints([1, 1])], 2, { axis: 1 });
  g.output('y', 'float32', [1, 'F'], c);
  g.output('first', 'float32', [1, 1], a!);
  g.output('second', 'float32', [1, 1], b!);
  return g.toBytes();
}

test('builder output runs in onnxruntime-node with dynamic dims and multi-output nodes', async () => {
  const s = await ort.InferenceSession.create(scaler());
  const r = await s.run({ x: new ort.Tensor('float32', new Float32Array([1, 4]), [1, 2]) });
  assert.deepEqual(Array.from(r.y!.data as Float32Array), [2, 5]);
  assert.deepEqual(Array.from(r.first!.data as Float32Array), [2]);
  assert.deepEqual(Array.from(r.second!.data as Float32Array), [5]);
});

test('decodeModel round-trips nodes, initializers and io names', () => {
  const m = decodeModel(scaler());
  assert.deepEqual(
    m.graph.input.map((i) => i.name),
    ['x'],
  );
  assert.deepEqual(
    m.graph.output.map((o) => o.name),
    ['y', 'first', 'second'],
  );
  assert.ok(m.graph.initializer.some((i) => i.name === 'w'));
  assert.equal(m.graph.node[0]!.op_type, 'Mul');
});

test('duplicate value names and wrong initializer sizes are rejected with the name', () => {
  const g = new GraphBuilder('bad');
  g.input('x', 'float32', [1]);
  assert.throws(() => g.input('x', 'float32', [1]), /value name 'x' already used/);
  assert.throws(() => g.initializer('w', new Float32Array(3), [2]), /initializer 'w'.*hold 2 values, data has 3/);
});

test('model card carries the sha256 and validates fields', () => {
  const bytes = scaler();
  const card = buildModelCard(bytes, {
    name: 'scaler',
    version: '1.0.0',
    description: 'test',
    featureSchemaVersion: 'univariate',
    opset: 17,
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 'F'] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [1, 'F'] }],
    fittedOn: { dataset: 'none' },
    quality: { metrics: { mse: 0 }, measuredWith: 'n/a' },
    createdAt: '2020-01-01T00:00:00.000Z',
  });
  assert.equal(card.sha256, sha256Hex(bytes));
  assert.equal(card.bytes, bytes.length);
  assert.throws(() => buildModelCard(bytes, { ...card, opset: 12 }));
});
