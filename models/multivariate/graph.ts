/**
 * anomaly-multi 6 as an ONNX graph (opset 17, float32), op for op the arithmetic of `reference.ts`.
 * x [1,F] (NaN = missing), fstate [7,F], gstate [1,2], basis [K,F], cov [F,F], season [2,F] (the sample's daily
 * slot; zeros and a dropped season_out for an unknown time) -> score [1,1], contributions [1,F], baseline [1,F] and
 * every state S as S_out. Only ops the agent's JS engine runs (elementwise, Where, Split, Concat, Reshape, Unsqueeze,
 * ReduceMax/ReduceSum): no MatMul, the products are Mul + ReduceSum.
 */
import { GraphBuilder } from '../onnx/graph.ts';
import type { Dim } from '../onnx/graph.ts';
import { EMPTY_ROW, KEEP_SHARE, MV_FROWS, MV_GCOLS, MV_IO, MV_PARAM_NAMES, MV_SROWS } from './reference.ts';
import type { MvParams } from './reference.ts';

/** Builds the graph for `features` features (a number, or a name such as 'F' for a dynamic count). */
export function buildMvGraph(params: MvParams, features: Dim, docString = ''): { bytes: Uint8Array; nodes: number } {
  const g = new GraphBuilder('homeostat_anomaly_multi');
  const I = MV_IO;
  const K = params.components;
  const x = g.input(I.inputs.x, 'float32', [1, features]);
  const fstate = g.input(I.inputs.fstate, 'float32', [MV_FROWS, features]);
  const gstate = g.input(I.inputs.gstate, 'float32', [1, MV_GCOLS]);
  const basis = g.input(I.inputs.basis, 'float32', [K, features]);
  const cov = g.input(I.inputs.cov, 'float32', [features, features]);
  const season = g.input(I.inputs.season, 'float32', [MV_SROWS, features]);
  const P = Object.fromEntries(MV_PARAM_NAMES.map((k) => [k, g.scalar(params[k], k)])) as Record<
    keyof MvParams,
    string
  >;
  const zero = g.scalar(0, 'zero');
  const one = g.scalar(1, 'one');
  const op = (t: string, ...ins: string[]) => g.op(t, ins);
  const clamp = (v: string, hi: string) => op('Min', op('Max', v, op('Neg', hi)), hi);
  const sum = (v: string, axis: number, keepdims = 1) => g.op('ReduceSum', [v, g.ints([axis])], { keepdims });
  const rows = (t: string, n: number) => g.opN('Split', [t, g.ints(Array(n).fill(1))], n, { axis: 0 });

  const [m, v, n, run, es, el, ve] = rows(fstate, MV_FROWS) as [string, string, string, string, string, string, string];
  const [ng, hist, nM, mM, vM] = g.opN('Split', [gstate, g.ints([1, 1, 1, 1, 1])], 5, { axis: 1 }) as [
    string,
    string,
    string,
    string,
    string,
  ];
  const [S, C] = rows(season, MV_SROWS) as [string, string];
  const nan = op('IsNaN', x);
  const valid = op('Not', nan);
  const xv = op('Where', nan, zero, x);
  const a = op('Max', P.aMin, op('Reciprocal', op('Add', n, one)));
  const floor = op('Add', op('Mul', op('Abs', m), P.epsRel), P.epsAbs);
  const s = op('Add', op('Sqrt', v), floor);
  const rl = op('Sub', xv, m);
  const zl = op('Div', rl, s);
  const rs = op('Sub', rl, S);
  const zs = op('Div', rs, op('Add', op('Sqrt', es), floor));
  const have = op('GreaterOrEqual', C, P.seasonMin);
  const seasonal = op('And', have, op('Less', es, op('Mul', el, P.ratio)));
  const warm = op('And', valid, op('GreaterOrEqual', n, P.warmup));
  const zc = op('Where', warm, clamp(op('Where', seasonal, zs, zl), P.zCap), zero);
  const u = op('Where', warm, clamp(zl, P.zCap), zero);
  g.op('Where', [seasonal, op('Add', m, S), m], {}, I.outputs.baseline);

  // per-feature learning (winsorized), level-shift re-learning, daily profile
  const c = op('Mul', P.clip, s);
  const rc = op('Min', op('Max', rl, op('Neg', c)), c);
  const rw = op('Where', op('Less', n, P.warmup), rl, rc);
  const rsc = op('Min', op('Max', rs, op('Neg', c)), c);
  const run1 = op('Where', op('And', warm, op('Greater', op('Abs', zl), P.zShift)), op('Add', run, one), zero);
  const shift = op('Greater', run1, P.shiftLen);
  const nEff = op('Where', shift, op('Min', n, P.nReset), n);
  const runN = op('Where', shift, zero, run1);
  const mN = op('Add', m, op('Mul', a, rw));
  const vN = op('Add', v, op('Mul', a, op('Sub', op('Mul', rw, rw), v)));
  const esN = op('Where', have, op('Add', es, op('Mul', a, op('Sub', op('Mul', rsc, rsc), es))), es);
  const elN = op('Where', have, op('Add', el, op('Mul', a, op('Sub', op('Mul', rc, rc), el))), el);
  const C1 = op('Add', C, one);
  const SN = op('Add', S, op('Mul', op('Max', P.aSeason, op('Reciprocal', C1)), rsc));
  g.op('Where', [valid, g.op('Concat', [SN, C1], { axis: 0 }), season], {}, I.outputs.season);

  // residual against the principal subspace, scaled by its own running RMS
  const warmCount = sum(op('Where', warm, one, zero), -1); // [1,1]
  const rank = g.initializer(
    'rowRank',
    Float32Array.from({ length: K }, (_, i) => 2 * (i + 1)),
    [K, 1],
  );
  const Wm = op('Where', op('LessOrEqual', rank, warmCount), basis, zero); // rows beyond half the warm features: 0
  const y = sum(op('Mul', Wm, u), -1); // [K,1]
  const rec = sum(op('Mul', y, Wm), 0); // [1,F]
  const e = op('Sub', u, rec);
  const aC = op('Max', P.aMin, op('Reciprocal', op('Add', ng, one)));
  const q = op('Where', warm, op('Div', op('Abs', e), op('Sqrt', op('Add', ve, P.residualFloor))), zero);
  const uClip2 = op('Mul', P.uClip, P.uClip);
  const veN = op('Where', warm, op('Add', ve, op('Mul', aC, op('Sub', op('Min', op('Mul', e, e), uClip2), ve))), ve);
  const updated = g.op('Concat', [mN, vN, op('Add', nEff, one), runN, esN, elN, veN], { axis: 0 });
  g.op('Where', [valid, updated, fstate], {}, I.outputs.fstate);

  // score: residual max + wZ x own-surprise max, smoothed, squashed
  const R = g.op('ReduceMax', [q], { axes: [-1], keepdims: 1 });
  const absZ = op('Abs', zc);
  const zmax = g.op('ReduceMax', [absZ], { axes: [-1], keepdims: 1 });
  // mean surprise: mean |z| over warm features against its own level and spread (winsorized), after warmup updates
  const mbar = op('Div', sum(absZ, -1), op('Max', warmCount, one));
  const sM = op('Sqrt', op('Add', vM, P.residualFloor));
  const rM = op('Sub', mbar, mM);
  const mWarm = op('GreaterOrEqual', nM, P.warmup);
  const dev = op('Where', mWarm, op('Min', op('Max', op('Div', rM, sM), zero), P.zCap), zero);
  const aM = op('Max', P.aMin, op('Reciprocal', op('Add', nM, one)));
  const cM = op('Mul', P.clip, sM);
  const rMw = op('Where', mWarm, op('Min', op('Max', rM, op('Neg', cM)), cM), rM);
  const anyWarm = op('Greater', warmCount, zero);
  const nMN = op('Where', anyWarm, op('Add', nM, one), nM);
  const mMN = op('Where', anyWarm, op('Add', mM, op('Mul', aM, rMw)), mM);
  const vMN = op('Where', anyWarm, op('Add', vM, op('Mul', aM, op('Sub', op('Mul', rMw, rMw), vM))), vM);
  const sraw = op('Add', op('Add', R, op('Mul', P.wZ, zmax)), op('Mul', P.wM, dev));
  const sm = op('Add', hist, op('Mul', P.smooth, op('Sub', sraw, hist)));
  const sm2 = op('Mul', sm, sm);
  g.op('Div', [sm2, op('Add', sm2, op('Mul', P.z0, P.z0))], {}, I.outputs.score);
  g.op('Concat', [op('Add', ng, one), sm, nMN, mMN, vMN], { axis: 1 }, I.outputs.gstate);
  const d = op('Add', q, op('Mul', P.wZ, absZ));
  g.op('Div', [d, op('Add', sum(d, -1), g.scalar(1e-12, 'tiny'))], {}, I.outputs.contributions);

  // learning: covariance, one power-iteration step of the basis (W + W C, C symmetric), Gram-Schmidt
  const uc = clamp(u, P.uClip);
  const ucT = g.op('Reshape', [uc, g.ints([-1, 1])]);
  g.op('Add', [cov, op('Mul', aC, op('Sub', op('Mul', ucT, uc), cov))], {}, I.outputs.cov);
  const WC = sum(op('Mul', g.op('Unsqueeze', [basis, g.ints([1])]), cov), -1, 0); // [K,F]
  const Pm = op('Add', basis, WC);
  const empty = g.scalar(EMPTY_ROW, 'emptyRow');
  const Pr = op('Where', op('Less', sum(op('Mul', Pm, Pm), -1), empty), uc, Pm);
  const keepShare = g.scalar(KEEP_SHARE, 'keepShare');
  const done: string[] = [];
  for (const row of K > 1 ? rows(Pr, K) : [Pr]) {
    const before = sum(op('Mul', row, row), -1);
    let w = row;
    for (const vk of done) w = op('Sub', w, op('Mul', sum(op('Mul', w, vk), -1), vk));
    const after = sum(op('Mul', w, w), -1);
    const keep = op('Greater', after, op('Mul', before, keepShare));
    const inv = op('Reciprocal', op('Sqrt', op('Add', after, empty)));
    done.push(op('Where', keep, op('Mul', w, inv), zero));
  }
  g.op('Concat', done, { axis: 0 }, I.outputs.basis);

  g.output(I.outputs.score, 'float32', [1, 1]);
  g.output(I.outputs.contributions, 'float32', [1, features]);
  g.output(I.outputs.baseline, 'float32', [1, features]);
  g.output(I.outputs.fstate, 'float32', [MV_FROWS, features]);
  g.output(I.outputs.gstate, 'float32', [1, MV_GCOLS]);
  g.output(I.outputs.basis, 'float32', [K, features]);
  g.output(I.outputs.cov, 'float32', [features, features]);
  g.output(I.outputs.season, 'float32', [MV_SROWS, features]);
  return { bytes: g.toBytes({ opset: 17, docString }), nodes: g.nodeCount };
}
