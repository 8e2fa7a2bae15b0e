/**
 * The anomaly model as an ONNX graph (opset 17, float32), op for op the arithmetic of `reference.ts`.
 * Inputs: x [1,F] (NaN = missing), fstate [6,F], gstate [1,5]. Outputs: score [1,1], contributions [1,F],
 * baseline [1,F], fstate_out, gstate_out. Every parameter is an initializer named as in `PARAM_NAMES`.
 */
import { GraphBuilder } from '../onnx/graph.ts';
import type { Dim } from '../onnx/graph.ts';
import { ANOMALY_IO, FSTATE_ROWS, GSTATE_COLS, PARAM_NAMES } from './reference.ts';
import type { AnomalyParams } from './reference.ts';

/** Builds the graph for `features` features (a number, or a name such as 'F' for a dynamic count). */
export function buildAnomalyGraph(params: AnomalyParams, features: Dim, docString = ''): { bytes: Uint8Array; nodes: number } {
  const g = new GraphBuilder('homeostat_anomaly');
  const I = ANOMALY_IO;
  const x = g.input(I.inputs.x, 'float32', [1, features]);
  const fstate = g.input(I.inputs.fstate, 'float32', [FSTATE_ROWS, features]);
  const gstate = g.input(I.inputs.gstate, 'float32', [1, GSTATE_COLS]);
  const P = Object.fromEntries(PARAM_NAMES.map((k) => [k, g.scalar(params[k], k)])) as Record<keyof AnomalyParams, string>;
  const zero = g.scalar(0, 'zero');
  const one = g.scalar(1, 'one');
  const big = g.scalar(3.0e38, 'big');
  const op = (t: string, ...ins: string[]) => g.op(t, ins);

  const [m, v, prev, d, k, n] = g.opN('Split', [fstate, g.ints(Array(FSTATE_ROWS).fill(1))], FSTATE_ROWS, { axis: 0 }) as [string, string, string, string, string, string];
  const valid = op('Not', op('IsNaN', x));
  const fresh = op('Less', n, one);
  const xv = op('Where', valid, x, m);
  const m0 = op('Where', fresh, xv, m);
  const p0 = op('Where', fresh, xv, prev);
  const e = op('Add', op('Mul', P.epsRel, op('Abs', m0)), P.epsAbs);
  const sd = op('Add', op('Sqrt', v), e);
  const dev = op('Sub', xv, m0);
  const z = op('Div', op('Abs', dev), sd);
  const step = op('Abs', op('Sub', xv, p0));
  const dsc = op('Add', d, e);
  const zs = op('Div', step, dsc);
  const warm = op('GreaterOrEqual', n, P.warmup);
  const capped = op('Min', op('Max', z, op('Mul', zs, P.stepWeight)), P.surpriseCap);
  const sf = op('Where', op('And', valid, warm), capped, zero);
  const r = g.op('ReduceMax', [sf], { axes: [1], keepdims: 1 });

  const n1 = op('Add', n, one);
  const inv = op('Div', one, n1);
  const a = op('Max', P.alpha, inv);
  const lim = op('Where', warm, op('Mul', P.clip, sd), big);
  const cdev = op('Min', op('Max', dev, op('Neg', lim)), lim);
  const mUpd = op('Add', m0, op('Mul', a, cdev));
  const vN = op('Mul', op('Sub', one, a), op('Add', v, op('Mul', a, op('Mul', cdev, cdev))));
  const as = op('Max', P.alphaStep, inv);
  const slim = op('Where', warm, op('Mul', P.clip, dsc), big);
  const dN = op('Add', d, op('Mul', as, op('Sub', op('Min', step, slim), d)));
  const kUpd = op('Where', op('Greater', z, P.shiftZ), op('Add', k, one), zero);
  const shifted = op('GreaterOrEqual', kUpd, P.shiftSteps);
  const mN = op('Where', shifted, xv, mUpd);
  const kN = op('Where', shifted, zero, kUpd);
  // one Where over the stacked rows: a missing feature keeps its whole state column
  const updated = g.op('Concat', [mN, vN, xv, dN, kN, n1], { axis: 0 });
  g.op('Where', [valid, updated, fstate], {}, I.outputs.fstate);
  const total = g.op('ReduceSum', [sf, g.ints([1])], { keepdims: 1 });
  g.op('Div', [sf, op('Add', total, g.scalar(1e-12))], {}, I.outputs.contributions);

  const [rs, mu, vr, ref, t] = g.opN('Split', [gstate, g.ints(Array(GSTATE_COLS).fill(1))], GSTATE_COLS, { axis: 1 }) as [string, string, string, string, string];
  const rsN = op('Add', rs, op('Mul', P.alphaShort, op('Sub', r, rs)));
  const dr = op('Sub', rsN, mu);
  const L = op('Div', dr, op('Sqrt', op('Add', vr, P.likelihoodEps)));
  const Lp = op('Max', L, zero);
  const raw = op('Div', Lp, op('Add', Lp, P.tau));
  const aL = op('Max', P.alphaLong, op('Div', one, op('Add', t, one)));
  const muN = op('Add', mu, op('Mul', aL, dr));
  const vrN = op('Mul', op('Sub', one, aL), op('Add', vr, op('Mul', aL, op('Mul', dr, dr))));
  const warmed = op('Where', op('GreaterOrEqual', t, P.warmup), raw, zero);
  const quiet = op('Greater', ref, zero);
  const score = g.op('Where', [quiet, zero, warmed], {}, I.outputs.score);
  const refN = op('Where', quiet, op('Sub', ref, one), op('Where', op('GreaterOrEqual', score, P.detect), P.refractory, zero));
  g.op('Concat', [rsN, muN, vrN, refN, op('Add', t, one)], { axis: 1 }, I.outputs.gstate);
  g.output(I.outputs.score, 'float32', [1, 1]);
  g.output(I.outputs.contributions, 'float32', [1, features]);
  g.output(I.outputs.baseline, 'float32', [1, features], m0);
  g.output(I.outputs.fstate, 'float32', [FSTATE_ROWS, features]);
  g.output(I.outputs.gstate, 'float32', [1, GSTATE_COLS]);
  return { bytes: g.toBytes({ opset: 17, docString }), nodes: g.nodeCount };
}
