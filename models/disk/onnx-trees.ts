import { GraphBuilder } from '../onnx/graph.ts';
import { treeCount, type TreeEnsemble } from './trees.ts';

/** Name of the graph input: float32 [N, K] feature vectors (see features.ts). */
export const INPUT_NAME = 'features';
/** Name of the graph output: float32 [N, 1] probability of failure within 7 days. */
export const OUTPUT_NAME = 'probability';

/**
 * Builds the ONNX graph of a depth-2 tree ensemble with standard opset-17 operators only:
 * Gather (feature columns) -> Less (thresholds) -> Where (pick leaf) -> ReduceSum -> Add bias -> Sigmoid; with a
 * linear term, Gather (its column) -> Min (its cap, when it has one) -> Mul (weight) -> Add before the Sigmoid.
 * The node count does not grow with the number of trees (each op works on all trees at once).
 */
export function treeEnsembleGraph(m: TreeEnsemble, name = 'disk_failure'): GraphBuilder {
  const T = treeCount(m);
  const g = new GraphBuilder(name);
  const x = g.input(INPUT_NAME, 'float32', ['N', m.featureCount]);
  const level = (which: string, feat: Int32Array, thr: Float32Array): string => {
    const idx = g.initializer(
      `${which}_feature`,
      BigInt64Array.from(feat, (v) => BigInt(v)),
      [T],
    );
    const cols = g.op('Gather', [x, idx], { axis: 1 });
    return g.op('Less', [cols, g.initializer(`${which}_threshold`, thr, [T])]);
  };
  const leaf = (q: number): string =>
    g.initializer(
      `leaf_${q}`,
      Float32Array.from({ length: T }, (_, t) => m.leaves[t * 4 + q]!),
      [T],
    );
  const root = level('root', m.rootFeature, m.rootThreshold);
  const left = g.op('Where', [level('left', m.leftFeature, m.leftThreshold), leaf(0), leaf(1)]);
  const right = g.op('Where', [level('right', m.rightFeature, m.rightThreshold), leaf(2), leaf(3)]);
  const picked = g.op('Where', [root, left, right]);
  const sum = g.op('ReduceSum', [picked, g.ints([1])], { keepdims: 1 });
  let logit = g.op('Add', [sum, g.initializer('bias', new Float32Array([m.bias]), [1])]);
  if (m.linear) {
    const col = g.op(
      'Gather',
      [x, g.initializer('linear_feature', BigInt64Array.from([BigInt(m.linear.feature)]), [1])],
      {
        axis: 1,
      },
    );
    const capped =
      m.linear.cap === undefined
        ? col
        : g.op('Min', [col, g.initializer('linear_cap', new Float32Array([m.linear.cap]), [1])]);
    const term = g.op('Mul', [capped, g.initializer('linear_weight', new Float32Array([m.linear.weight]), [1])]);
    logit = g.op('Add', [logit, term]);
  }
  g.output(OUTPUT_NAME, 'float32', ['N', 1], g.op('Sigmoid', [logit]));
  return g;
}
