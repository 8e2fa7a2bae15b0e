/**
 * The anomaly model as an ONNX graph (opset 17, float32), op for op the arithmetic of `reference.ts`.
 * Shipped form: x [1,F] (NaN = missing), fstate [9,F], gstate [1,5] -> score [1,1], contributions [1,F],
 * baseline [1,F], fstate_out, gstate_out. Batched form (`batch` set, e.g. 'B'): B independent streams (hosts or
 * metrics) per call, x [1,B,F], fstate [9,B,F], gstate [5,B,1] -> score [1,B,1], contributions/baseline [1,B,F].
 * Both forms are the same node list; only declared shapes, the pair-constant ranks and the gstate axis differ.
 * Per-feature work on the level/step pair runs as stacked [2,...] tensors (one op per stage, not two).
 * Every parameter is an initializer: scalars named as in `PARAM_NAMES`, the stacked pairs as `alpha_alphaStep`
 * and `one_stepWeight`.
 */
import { GraphBuilder } from '../onnx/graph.ts';
import type { Dim } from '../onnx/graph.ts';
import { ANOMALY_IO, FSTATE_ROWS, GSTATE_COLS, PARAM_NAMES } from './reference.ts';
import type { AnomalyParams } from './reference.ts';

/** Options: `batch` = number or symbolic name of the stream dimension (omit for the shipped single-stream model). */
export interface AnomalyGraphOptions { batch?: Dim }

/** Builds the graph for `features` features (a number, or a name such as 'F' for a dynamic count). */
export function buildAnomalyGraph(params: AnomalyParams, features: Dim, docString = '', opts: AnomalyGraphOptions = {}): { bytes: Uint8Array; nodes: number } {
  const g = new GraphBuilder('homeostat_anomaly');
  const I = ANOMALY_IO;
  const B = opts.batch;
  const batched = B !== undefined;
  const x = g.input(I.inputs.x, 'float32', batched ? [1, B, features] : [1, features]);
  const fstate = g.input(I.inputs.fstate, 'float32', batched ? [FSTATE_ROWS, B, features] : [FSTATE_ROWS, features]);
  const gstate = g.input(I.inputs.gstate, 'float32', batched ? [GSTATE_COLS, B, 1] : [1, GSTATE_COLS]);
  // [2,1] / [2,1,1] constants broadcast along the stacked level/step axis
  const pairDims = batched ? [2, 1, 1] : [2, 1];
  const pair = (name: string, a: number, b: number) => g.initializer(name, new Float32Array([a, b]), pairDims);
  const rates = pair('alpha_alphaStep', params.alpha, params.alphaStep);
  const weights = pair('one_stepWeight', 1, params.stepWeight);
  const signs = pair('signs', 1, -1);
  const inPairs = new Set<keyof AnomalyParams>(['alpha', 'alphaStep', 'stepWeight']);
  const P = Object.fromEntries(PARAM_NAMES.filter((k) => !inPairs.has(k)).map((k) => [k, g.scalar(params[k], k)])) as Record<keyof AnomalyParams, string>;
  const zero = g.scalar(0, 'zero');
  const one = g.scalar(1, 'one');
  const op = (t: string, ...ins: string[]) => g.op(t, ins);

  const [m, d, V, n, prev, LH, gap] = g.opN('Split', [fstate, g.ints([1, 1, 2, 1, 1, 2, 1])], 7, { axis: 0 }, [I.outputs.baseline, 'd', 'V', 'n', 'prev', 'LH', 'gap']) as [string, string, string, string, string, string, string];
  const nan = op('IsNaN', x);
  const valid = op('Not', nan);
  const xv = op('Where', nan, zero, x);
  const fresh = op('Less', n, one);
  const p0 = op('Where', fresh, xv, prev);
  const Y = op('Mul', xv, signs); // [x; -x]
  const LH0 = op('Where', fresh, Y, LH); // [lo; -hi]
  const step = op('Abs', op('Sub', xv, p0));
  const T = g.op('Concat', [xv, step], { axis: 0 });
  const M = g.op('Concat', [m, d], { axis: 0 });
  const dev = op('Sub', T, M);
  const e = op('Add', op('Mul', op('Abs', m), P.epsRel), P.epsAbs);
  const sc = op('Add', op('Sqrt', V), e);
  const Z = op('Div', op('Abs', dev), sc);
  const sfp = g.op('ReduceMax', [op('Mul', Z, weights)], { axes: [0], keepdims: 1 });
  const gate = op('And', valid, op('GreaterOrEqual', n, P.warmup));
  const sf = op('Where', gate, op('Min', sfp, P.surpriseCap), zero);
  const r = g.op('ReduceMax', [sf], { axes: [-1], keepdims: 1 });

  // record novelty: beyond [lo, hi] by more than spTol of the range (lo + (-hi) = -range)
  const tolN = op('Mul', g.op('ReduceSum', [LH0, g.ints([0])], { keepdims: 1 }), P.spTol);
  const [h0, h1] = g.opN('Split', [op('Less', Y, op('Add', LH0, tolN)), g.ints([1, 1])], 2, { axis: 0 }) as [string, string];
  const hg = op('And', op('Or', h0, h1), gate);
  const gn = op('Add', gap, one);
  const spat = op('Where', hg, op('Div', gn, op('Add', gn, P.gapTau)), zero);
  const gapN = op('Where', hg, zero, gn);
  const LHN = op('Min', LH0, Y);
  const sp = g.op('ReduceMax', [spat], { axes: [-1], keepdims: 1 });

  // winsorized EWMA mean/variance of the stacked pair
  const n1 = op('Add', n, one);
  const rate = op('Max', rates, op('Reciprocal', n1));
  const lim = op('Mul', sc, P.clip);
  const cdev = op('Min', op('Max', dev, op('Neg', lim)), lim);
  const MN = op('Add', M, op('Mul', rate, cdev));
  const VN = op('Add', V, op('Mul', rate, op('Sub', op('Mul', cdev, cdev), V)));
  const updated = g.op('Concat', [MN, VN, n1, xv, LHN, gapN], { axis: 0 });
  g.op('Where', [valid, updated, fstate], {}, I.outputs.fstate); // a missing feature keeps its whole state column
  const total = g.op('ReduceSum', [sf, g.ints([-1])], { keepdims: 1 });
  g.op('Div', [sf, op('Add', total, g.scalar(1e-12))], {}, I.outputs.contributions);

  // anomaly likelihood over r, record novelty, rising-edge envelope
  const gaxis = batched ? 0 : 1;
  const [rs, mu, vr, E, t] = g.opN('Split', [gstate, g.ints(Array(GSTATE_COLS).fill(1))], GSTATE_COLS, { axis: gaxis }) as [string, string, string, string, string];
  const rsN = op('Add', rs, op('Mul', P.alphaShort, op('Sub', r, rs)));
  const dr = op('Sub', rsN, mu);
  const Lp = op('Relu', op('Div', dr, op('Sqrt', op('Add', vr, P.likelihoodEps))));
  const raw = op('Div', Lp, op('Add', Lp, P.tau));
  const t1 = op('Add', t, one);
  const aL = op('Max', P.alphaLong, op('Reciprocal', t1));
  const muN = op('Add', mu, op('Mul', aL, dr));
  const vrN = op('Add', vr, op('Mul', aL, op('Sub', op('Mul', dr, dr), vr)));
  const s = op('Max', op('Where', op('GreaterOrEqual', t, P.warmup), raw, zero), sp);
  g.op('Where', [op('Greater', s, E), s, zero], {}, I.outputs.score);
  const EN = op('Max', s, op('Mul', E, P.envDecay));
  g.op('Concat', [rsN, muN, vrN, EN, t1], { axis: gaxis }, I.outputs.gstate);

  const rowShape = batched ? [1, B, features] : [1, features];
  g.output(I.outputs.score, 'float32', batched ? [1, B, 1] : [1, 1]);
  g.output(I.outputs.contributions, 'float32', rowShape);
  g.output(I.outputs.baseline, 'float32', rowShape);
  g.output(I.outputs.fstate, 'float32', batched ? [FSTATE_ROWS, B, features] : [FSTATE_ROWS, features]);
  g.output(I.outputs.gstate, 'float32', batched ? [GSTATE_COLS, B, 1] : [1, GSTATE_COLS]);
  return { bytes: g.toBytes({ opset: 17, docString }), nodes: g.nodeCount };
}
