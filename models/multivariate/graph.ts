/**
 * The multivariate anomaly model as an ONNX graph (opset 17, float32), op for op the arithmetic of `reference.ts`.
 * x [1,F] (NaN = missing), fstate [6,F], gstate [1,3], season [2,F] (the sample's time-of-day slot; zeros and a
 * dropped season_out for an unknown time) -> score [1,1], contributions [1,F], baseline [1,F], fstate_out, gstate_out,
 * season_out. Only ops the agent's JS engine runs (elementwise, Where, Split, Concat, ReduceMax/ReduceSum).
 */
import { GraphBuilder } from '../onnx/graph.ts';
import type { Dim } from '../onnx/graph.ts';
import { MV_FROWS, MV_HISTORY, MV_IO, MV_SROWS } from './reference.ts';
import type { MvParams } from './reference.ts';

/** Scalar parameters stored as initializers (by name); `slots` is the caller's (card `extra.seasonal`). */
export const MV_PARAM_NAMES: readonly (keyof MvParams)[] = [
  'aMin',
  'aSeason',
  'epsAbs',
  'epsRel',
  'seasonMin',
  'ratio',
  'warm',
  'zCap',
  'aggCap',
  'zShift',
  'shiftLen',
  'nReset',
  'beta',
  'z0',
];

/** Builds the graph for `features` features (a number, or a name such as 'F' for a dynamic count). */
export function buildMvGraph(params: MvParams, features: Dim, docString = ''): { bytes: Uint8Array; nodes: number } {
  const g = new GraphBuilder('homeostat_anomaly_mv');
  const I = MV_IO;
  const x = g.input(I.inputs.x, 'float32', [1, features]);
  const fstate = g.input(I.inputs.fstate, 'float32', [MV_FROWS, features]);
  const gstate = g.input(I.inputs.gstate, 'float32', [1, MV_HISTORY]);
  const season = g.input(I.inputs.season, 'float32', [MV_SROWS, features]);
  const P = Object.fromEntries(MV_PARAM_NAMES.map((k) => [k, g.scalar(params[k], k)])) as Record<
    keyof MvParams,
    string
  >;
  const zero = g.scalar(0, 'zero');
  const one = g.scalar(1, 'one');
  const half = g.scalar(0.5, 'half');
  const op = (t: string, ...ins: string[]) => g.op(t, ins);

  const [mu, va, n, es, el, run] = g.opN('Split', [fstate, g.ints([1, 1, 1, 1, 1, 1])], 6, { axis: 0 }) as string[] as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const [S, C] = g.opN('Split', [season, g.ints([1, 1])], 2, { axis: 0 }) as [string, string];
  const nan = op('IsNaN', x);
  const valid = op('Not', nan);
  const xv = op('Where', nan, zero, x);
  const a = op('Max', P.aMin, op('Reciprocal', op('Add', n, one)));
  const rl = op('Sub', xv, mu);
  const rs = op('Sub', rl, S);
  const fl = op('Add', op('Mul', op('Abs', mu), P.epsRel), P.epsAbs);
  const zl = op('Div', op('Abs', rl), op('Add', op('Sqrt', va), fl));
  const zs = op('Div', op('Abs', rs), op('Add', op('Sqrt', es), fl));
  const have = op('GreaterOrEqual', C, P.seasonMin);
  const seasonal = op('And', have, op('Less', es, op('Mul', el, P.ratio)));
  const zsel = op('Where', seasonal, zs, zl);
  const live = op('And', valid, op('Not', op('Less', n, P.warm)));
  const z = op('Min', op('Where', live, zsel, zero), P.zCap);
  g.op('Where', [seasonal, op('Add', mu, S), mu], {}, I.outputs.baseline);

  // level shift: a long run above zShift re-learns the level (count drops to nReset)
  const run1 = op('Where', op('Greater', z, P.zShift), op('Add', run, one), zero);
  const shift = op('Greater', run1, P.shiftLen);
  const nEff = op('Where', shift, op('Min', n, P.nReset), n);
  const runN = op('Where', shift, zero, run1);
  const muN = op('Add', mu, op('Mul', a, rl));
  const vaN = op('Add', va, op('Mul', a, op('Sub', op('Mul', rl, rl), va)));
  const esN = op('Where', have, op('Add', es, op('Mul', a, op('Sub', op('Mul', rs, rs), es))), es);
  const elN = op('Where', have, op('Add', el, op('Mul', a, op('Sub', op('Mul', rl, rl), el))), el);
  const updated = g.op('Concat', [muN, vaN, op('Add', nEff, one), esN, elN, runN], { axis: 0 });
  g.op('Where', [valid, updated, fstate], {}, I.outputs.fstate);
  const C1 = op('Add', C, one);
  const as = op('Max', P.aSeason, op('Reciprocal', C1));
  const seasonN = g.op('Concat', [op('Add', S, op('Mul', as, rs)), C1], { axis: 0 });
  g.op('Where', [valid, seasonN, season], {}, I.outputs.season);

  // across features: max(mean of the two largest z, beta * |z|), smoothed with the last MV_HISTORY values
  const max = g.op('ReduceMax', [z], { axes: [-1], keepdims: 1 });
  const second = g.op('ReduceMax', [op('Where', op('Equal', z, max), zero, z)], { axes: [-1], keepdims: 1 });
  const top2 = op('Mul', op('Add', max, second), half);
  const sq = g.op('ReduceSum', [op('Mul', z, z), g.ints([-1])], { keepdims: 1 });
  const agg = op('Min', op('Max', top2, op('Mul', op('Sqrt', sq), P.beta)), P.aggCap);
  const hist = g.op('ReduceSum', [gstate, g.ints([-1])], { keepdims: 1 });
  const sm = op('Mul', op('Add', agg, hist), g.scalar(1 / (MV_HISTORY + 1), 'inv_window'));
  const sm2 = op('Mul', sm, sm);
  g.op('Div', [sm2, op('Add', sm2, op('Mul', P.z0, P.z0))], {}, I.outputs.score);
  const [, keep] = g.opN('Split', [gstate, g.ints([1, MV_HISTORY - 1])], 2, { axis: 1 }) as [string, string];
  g.op('Concat', [keep, agg], { axis: 1 }, I.outputs.gstate);
  g.op('Div', [op('Mul', z, z), op('Add', sq, g.scalar(1e-12, 'tiny'))], {}, I.outputs.contributions);

  g.output(I.outputs.score, 'float32', [1, 1]);
  g.output(I.outputs.contributions, 'float32', [1, features]);
  g.output(I.outputs.baseline, 'float32', [1, features]);
  g.output(I.outputs.fstate, 'float32', [MV_FROWS, features]);
  g.output(I.outputs.gstate, 'float32', [1, MV_HISTORY]);
  g.output(I.outputs.season, 'float32', [MV_SROWS, features]);
  return { bytes: g.toBytes({ opset: 17, docString }), nodes: g.nodeCount };
}
