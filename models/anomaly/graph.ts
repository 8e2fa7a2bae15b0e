/**
 * The anomaly model as an ONNX graph (opset 17, float32), op for op the arithmetic of `reference.ts`.
 * Shipped form: x [1,F] (NaN = missing), fstate [9,F], gstate [1,1], season [3,F] (the current time-of-day bucket's
 * rows; the caller keeps all K buckets and feeds the one of the sample's time, zeros for an unknown time:
 * agent/infer/stateful-model.ts) -> score [1,1], contributions [1,F], baseline [1,F], fstate_out, gstate_out,
 * season_out. Batched form (`batch` set, e.g. 'B'): B independent streams (hosts or metrics) per call, x [1,B,F],
 * fstate [9,B,F], gstate [1,B,1], season [3,B,F] -> score [1,B,1], contributions/baseline [1,B,F].
 * Passing one bucket instead of all K keeps the tensors crossing into onnxruntime small: with [K,3,F] in and out every
 * call, the malloc heap of a process stepping the model grew ~7 MB more and each call took ~7 µs longer.
 * Both forms are the same node list; only declared shapes and the ranks of the row constants differ.
 * The level and likelihood EWMAs run as stacked [2,...] tensors (one op per stage, not two).
 * Initializers: scalar parameters named as in `PARAM_NAMES`; row pairs `alpha_alphaLong`, `epsRel_0`,
 * `epsAbs_likelihoodFloor`, `clip_none`; derived `recordKeep` (1 - recordRate) and `recordStep`
 * (recordRate * recordGain). The card lists every parameter by name (`seasonBuckets` is the caller's: card
 * `extra.seasonal`).
 */
import { GraphBuilder } from '../onnx/graph.ts';
import type { Dim } from '../onnx/graph.ts';
import {
  ANOMALY_IO,
  FSTATE_ROWS,
  GSTATE_COLS,
  NO_CLIP,
  PARAM_NAMES,
  SSTATE_ROWS,
  derivedConstants,
} from './reference.ts';
import type { AnomalyParams } from './reference.ts';

/** Options: `batch` = number or symbolic name of the stream dimension (omit for the shipped single-stream model). */
export interface AnomalyGraphOptions {
  batch?: Dim;
}

/** Builds the graph for `features` features (a number, or a name such as 'F' for a dynamic count). */
export function buildAnomalyGraph(
  params: AnomalyParams,
  features: Dim,
  docString = '',
  opts: AnomalyGraphOptions = {},
): { bytes: Uint8Array; nodes: number } {
  const g = new GraphBuilder('homeostat_anomaly');
  const I = ANOMALY_IO;
  const B = opts.batch;
  const batched = B !== undefined;
  const x = g.input(I.inputs.x, 'float32', batched ? [1, B, features] : [1, features]);
  const fstate = g.input(I.inputs.fstate, 'float32', batched ? [FSTATE_ROWS, B, features] : [FSTATE_ROWS, features]);
  const gstate = g.input(I.inputs.gstate, 'float32', batched ? [1, B, GSTATE_COLS] : [1, GSTATE_COLS]);
  const sDims = batched ? [SSTATE_ROWS, B, features] : [SSTATE_ROWS, features];
  const season = g.input(I.inputs.season, 'float32', sDims);
  const D = derivedConstants(params);
  // [2,1] / [2,1,1] constants broadcast along the stacked row axis (row 0 level, row 1 likelihood)
  const pairDims = batched ? [2, 1, 1] : [2, 1];
  const pair = (name: string, a: number, b: number) => g.initializer(name, new Float32Array([a, b]), pairDims);
  const rates = pair('alpha_alphaLong', params.alpha, params.alphaLong);
  const epsRel = pair('epsRel_0', params.epsRel, 0);
  const epsAbs = pair('epsAbs_likelihoodFloor', params.epsAbs, D.likelihoodFloor);
  const clips = pair('clip_none', params.clip, NO_CLIP);
  const signs = pair('signs', 1, -1);
  const viaDerived = new Set<keyof AnomalyParams>([
    'alpha',
    'alphaLong',
    'clip',
    'epsRel',
    'likelihoodEps',
    'recordRate',
    'recordGain',
    'seasonBuckets',
  ]);
  const P = Object.fromEntries(
    PARAM_NAMES.filter((k) => !viaDerived.has(k)).map((k) => [k, g.scalar(params[k], k)]),
  ) as Record<keyof AnomalyParams, string>;
  const zero = g.scalar(0, 'zero');
  const one = g.scalar(1, 'one');
  const op = (t: string, ...ins: string[]) => g.op(t, ins);

  const [m, Mrest, V, rs, n, LH, rho] = g.opN('Split', [fstate, g.ints([1, 1, 2, 1, 1, 2, 1])], 7, { axis: 0 }, [
    I.outputs.baseline,
    'mu',
    'V',
    'rs',
    'n',
    'LH',
    'rho',
  ]) as [string, string, string, string, string, string, string];
  const nan = op('IsNaN', x);
  const valid = op('Not', nan);
  const xv = op('Where', nan, zero, x);
  const fresh = op('Less', n, one);
  const Y = op('Mul', xv, signs); // [x; -x]
  const LH0 = op('Where', fresh, Y, LH); // [lo; -hi]
  const T = g.op('Concat', [xv, rs], { axis: 0 });
  const M = g.op('Concat', [m, Mrest], { axis: 0 });
  const dev = op('Sub', T, M);
  const sc = op('Add', op('Sqrt', V), op('Add', op('Mul', op('Abs', m), epsRel), epsAbs));
  const Zs = op('Div', dev, sc);
  const Z = op('Abs', Zs);
  const [z0] = g.opN('Split', [Z, g.ints([1, 1])], 2, { axis: 0 }) as [string, string];
  const [, zs1] = g.opN('Split', [Zs, g.ints([1, 1])], 2, { axis: 0 }) as [string, string];
  // seasonal baseline of the current time-of-day bucket (the caller's slice)
  const [Db, Wb, Cb] = g.opN('Split', [season, g.ints([1, 1, 1])], 3, { axis: 0 }) as [string, string, string];
  const r = op('Sub', xv, Db);
  const ar = op('Abs', r);
  const zsea = op('Div', ar, op('Add', Wb, P.epsAbs));
  const zc = op('Where', op('Less', Cb, P.seasonWarmup), z0, zsea);
  const gate = op('And', valid, op('GreaterOrEqual', n, P.warmup));
  const sf = op('Where', gate, op('Min', zc, P.surpriseCap), zero);
  const rsN = op('Add', rs, op('Mul', P.alphaShort, op('Sub', sf, rs)));
  const Lp = op('Relu', zs1);
  const raw = op('Div', Lp, op('Add', Lp, P.tau));
  const rawG = op('Where', op('And', valid, op('GreaterOrEqual', n, P.likelihoodWarmup)), raw, zero);

  // record novelty: excess = max(lo - x, x - hi) beyond spTol of the range, graded by the record rate and the excess
  const exceed = g.op('ReduceMax', [op('Sub', LH0, Y)], { axes: [0], keepdims: 1 });
  const range = op('Sub', P.epsAbs, g.op('ReduceSum', [LH0, g.ints([0])], { keepdims: 1 }));
  const hit = op('Greater', exceed, op('Mul', range, P.spTol));
  const ex1 = op('Add', op('Div', exceed, range), one);
  const spat = op('Where', op('And', hit, gate), op('Div', ex1, op('Add', ex1, rho)), zero);
  const rhoN = op(
    'Add',
    op('Mul', rho, g.scalar(D.recordKeep, 'recordKeep')),
    op('Where', hit, g.scalar(D.recordStep, 'recordStep'), zero),
  );
  const LHN = op('Min', LH0, Y);
  const best = g.op('ReduceMax', [op('Max', rawG, spat)], { axes: [-1], keepdims: 1 });

  // winsorized EWMA mean/variance of both rows
  const n1 = op('Add', n, one);
  const rate = op('Max', rates, op('Reciprocal', n1));
  const cdev = op('Mul', dev, op('Min', op('Div', clips, Z), one));
  const MN = op('Add', M, op('Mul', rate, cdev));
  const VN = op('Add', V, op('Mul', rate, op('Sub', op('Mul', cdev, cdev), V)));
  const updated = g.op('Concat', [MN, VN, rsN, n1, LHN, rhoN], { axis: 0 });
  g.op('Where', [valid, updated, fstate], {}, I.outputs.fstate); // a missing feature keeps its whole state column
  const Cn = op('Add', Cb, one);
  const sr = op('Max', P.seasonRate, op('Reciprocal', Cn));
  const seasonN = g.op(
    'Concat',
    [op('Add', Db, op('Mul', sr, r)), op('Add', Wb, op('Mul', sr, op('Sub', ar, Wb))), Cn],
    { axis: 0 },
  );
  g.op('Where', [valid, seasonN, season], {}, I.outputs.season); // valid features only
  const total = g.op('ReduceSum', [sf, g.ints([-1])], { keepdims: 1 });
  g.op('Div', [sf, op('Add', total, g.scalar(1e-12))], {}, I.outputs.contributions);

  // rising-edge envelope (gstate = E), lifted by fireBoost on a reported edge (refractory period)
  const fire = op('Greater', best, gstate);
  g.op('Where', [fire, best, zero], {}, I.outputs.score);
  g.op(
    'Max',
    [op('Where', fire, op('Add', best, P.fireBoost), best), op('Mul', gstate, P.envDecay)],
    {},
    I.outputs.gstate,
  );

  const rowShape = batched ? [1, B, features] : [1, features];
  g.output(I.outputs.score, 'float32', batched ? [1, B, 1] : [1, 1]);
  g.output(I.outputs.contributions, 'float32', rowShape);
  g.output(I.outputs.baseline, 'float32', rowShape);
  g.output(I.outputs.fstate, 'float32', batched ? [FSTATE_ROWS, B, features] : [FSTATE_ROWS, features]);
  g.output(I.outputs.gstate, 'float32', batched ? [1, B, GSTATE_COLS] : [1, GSTATE_COLS]);
  g.output(I.outputs.season, 'float32', sDims);
  return { bytes: g.toBytes({ opset: 17, docString }), nodes: g.nodeCount };
}
