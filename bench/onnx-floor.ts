/**
 * What one onnxruntime-node call costs on this machine before any model arithmetic: graphs of n chained `Add`
 * nodes over a [13, F] state plus a [1, F] input, two inputs and two outputs (the least a stateful model can have),
 * timed per `session.run` (p50/p99). Used by `bench:infer --floor` to put the anomaly model's latency in context.
 */
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../models/onnx/graph.ts';

/** p50/p99 in µs of `runs` calls of an n-node graph for `features` features. */
export async function onnxFloor(
  nodes: number,
  features: number,
  runs = 20_000,
): Promise<{ nodes: number; p50Us: number; p99Us: number }> {
  const g = new GraphBuilder('floor');
  const x = g.input('x', 'float32', [1, features]);
  const s = g.input('s', 'float32', [13, features]);
  const one = g.scalar(1, 'one');
  let y = s;
  for (let i = 0; i < nodes; i++) y = g.op('Add', [y, i === 0 ? x : one]);
  g.output('y', 'float32', [13, features], y);
  g.output('d', 'float32', [1, features], g.op('Add', [x, one]));
  const session = await ort.InferenceSession.create(g.toBytes({}), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const feeds = {
    x: new ort.Tensor('float32', new Float32Array(features), [1, features]),
    s: new ort.Tensor('float32', new Float32Array(13 * features), [13, features]),
  };
  const lat: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    lat.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  await session.release();
  // the first 2 % of runs are warm-up (dropped in run order, before sorting)
  const warm = lat.slice(Math.floor(runs * 0.02)).sort((a, b) => a - b);
  return {
    nodes: nodes + 1,
    p50Us: +warm[warm.length >> 1]!.toFixed(1),
    p99Us: +warm[Math.floor(warm.length * 0.99)]!.toFixed(1),
  };
}
