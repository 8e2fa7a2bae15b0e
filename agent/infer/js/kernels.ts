/**
 * Loops of the JS inference engine (agent/infer/js-engine.ts), emitted as JavaScript source: plan.ts writes one loop
 * per ONNX node into functions of a few dozen loops, called in order by one function per input shape, and compiles
 * them once, so each loop is its own code in V8 (monomorphic, sizes as literals) and a run makes no per-node calls. Measured on the anomaly model (90 nodes, 40
 * features): one closure per node calling shared kernel functions took ~20 µs per run; the compiled function takes
 * a fraction of that (`npm run bench:infer`).
 *
 * The loops have no branches (selects, Math.max/min): V8 optimizes code with the type feedback of the warm-up runs
 * (plan.ts), and a statement the warm-up never reached would deoptimize it later, on live data.
 *
 * What goes into the source is only this file's templates and integers (buffer ids, map ids, element counts),
 * checked by `int`: no name, attribute or value from the model is ever written into it.
 *
 * Every tensor lives at an offset of one Float32Array `f` (which rounds every op to float32 as onnxruntime does;
 * bool tensors hold 0/1), index maps at offsets of one Int32Array `M` (absolute indices into `f`), reduction
 * accumulators in one Float64Array `R`. One array each, rather than one per tensor, measured ~2x faster: V8 keeps a
 * few base pointers in registers, not two hundred.
 */

/** Unary ops: float → float, except IsNaN (float → bool) and Not (bool → bool). */
export const UNARY_OPS = [
  'Abs',
  'Neg',
  'Sqrt',
  'Reciprocal',
  'Relu',
  'Sigmoid',
  'Exp',
  'Log',
  'Tanh',
  'Floor',
  'Ceil',
  'IsNaN',
  'Not',
] as const;
export type UnaryOp = (typeof UNARY_OPS)[number];
/** Binary ops with multidirectional broadcasting. Max/Min/Sum take 1..n inputs (folded pairwise). */
export const BINARY_OPS = [
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Max',
  'Min',
  'Sum',
  'Less',
  'LessOrEqual',
  'Greater',
  'GreaterOrEqual',
  'Equal',
  'And',
  'Or',
  'Xor',
] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];
/** Ops whose result is bool. */
export const BOOL_RESULT: ReadonlySet<string> = new Set([
  'Less',
  'LessOrEqual',
  'Greater',
  'GreaterOrEqual',
  'Equal',
  'And',
  'Or',
  'Xor',
  'IsNaN',
  'Not',
]);
/** Reductions over axes. */
export type ReduceOp = 'ReduceSum' | 'ReduceMax' | 'ReduceMin' | 'ReduceMean';

/** How one operand is read: element i of the output reads `f[off + i]`, `f[M[map + i]]`, or `f[off]` (scalar, loaded
 * once before the loop: it may be state, such as the anomaly model's envelope). */
export type Operand = { off: number; map: number | null; scalar: boolean };

/** An integer for the source; anything else is a bug in plan.ts, never model data. */
function int(n: number): string {
  if (!Number.isSafeInteger(n)) throw new Error(`js engine: non-integer ${String(n)} in generated source`);
  return String(n);
}

function unaryExpr(op: UnaryOp, x: string): string {
  switch (op) {
    case 'Abs':
      return `Math.abs(${x})`;
    case 'Neg':
      return `-${x}`;
    case 'Sqrt':
      return `Math.sqrt(${x})`;
    case 'Reciprocal':
      return `1 / ${x}`;
    case 'Relu':
      return `(${x} < 0 ? 0 : ${x})`; // NaN stays NaN, as in onnxruntime
    case 'Sigmoid':
      return `1 / (1 + Math.exp(-${x}))`;
    case 'Exp':
      return `Math.exp(${x})`;
    case 'Log':
      return `Math.log(${x})`;
    case 'Tanh':
      return `Math.tanh(${x})`;
    case 'Floor':
      return `Math.floor(${x})`;
    case 'Ceil':
      return `Math.ceil(${x})`;
    case 'IsNaN':
      return `(${x} !== ${x} ? 1 : 0)`;
    case 'Not':
      return `1 - ${x}`; // bools are 0/1
  }
}

/** Max/Min propagate NaN from either operand, as onnxruntime does (the auto engine's probe caught the difference);
 * Math.max/min do exactly that. Bools are 0/1, so the logic ops are bitwise. */
function binaryExpr(op: BinaryOp, x: string, y: string): string {
  switch (op) {
    case 'Add':
    case 'Sum':
      return `${x} + ${y}`;
    case 'Sub':
      return `${x} - ${y}`;
    case 'Mul':
      return `${x} * ${y}`;
    case 'Div':
      return `${x} / ${y}`;
    case 'Max':
      return `Math.max(${x}, ${y})`;
    case 'Min':
      return `Math.min(${x}, ${y})`;
    case 'Less':
      return `(${x} < ${y} ? 1 : 0)`;
    case 'LessOrEqual':
      return `(${x} <= ${y} ? 1 : 0)`;
    case 'Greater':
      return `(${x} > ${y} ? 1 : 0)`;
    case 'GreaterOrEqual':
      return `(${x} >= ${y} ? 1 : 0)`;
    case 'Equal':
      return `(${x} === ${y} ? 1 : 0)`;
    case 'And':
      return `(${x} & ${y})`;
    case 'Or':
      return `(${x} | ${y})`;
    case 'Xor':
      return `(${x} ^ ${y})`;
  }
}

function read(p: Operand, local: string): { pre: string; load: string } {
  if (p.scalar) return { pre: `const ${local} = f[${int(p.off)}]; `, load: '' };
  const at = p.map === null ? `${int(p.off)} + i` : `M[${int(p.map)} + i]`;
  return { pre: '', load: `const ${local} = f[${at}]; ` };
}

function loop(n: number, pre: string, body: string): string {
  return `{ ${pre}for (let i = 0; i < ${int(n)}; i++) { ${body} } }`;
}

function store(o: number): string {
  return `f[${int(o)} + i]`;
}

/** f[o + i] = op(a) over n elements. */
export function emitUnary(op: UnaryOp, o: number, a: Operand, n: number): string {
  const x = read(a, 'a');
  return loop(n, x.pre, `${x.load}${store(o)} = ${unaryExpr(op, 'a')};`);
}

/** f[o + i] = op(a, b) over n elements. */
export function emitBinary(op: BinaryOp, o: number, a: Operand, b: Operand, n: number): string {
  const x = read(a, 'a');
  const y = read(b, 'b');
  return loop(n, x.pre + y.pre, `${x.load}${y.load}${store(o)} = ${binaryExpr(op, 'a', 'b')};`);
}

/** f[o + i] = c ? a : b (ONNX Where). */
export function emitWhere(o: number, c: Operand, a: Operand, b: Operand, n: number): string {
  const [rc, ra, rb] = [read(c, 'c'), read(a, 'a'), read(b, 'b')];
  return loop(n, rc.pre + ra.pre + rb.pre, `${rc.load}${ra.load}${rb.load}${store(o)} = c !== 0 ? a : b;`);
}

/** f[o + i] = min(max(a, lo), hi) (ONNX Clip); an absent bound (null) is ±Infinity; lo/hi are offsets of scalars. */
export function emitClip(o: number, a: Operand, lo: number | null, hi: number | null, n: number): string {
  const pre = `const lo = ${lo === null ? '-Infinity' : `f[${int(lo)}]`}; const hi = ${hi === null ? 'Infinity' : `f[${int(hi)}]`}; `;
  const x = read(a, 'a');
  return loop(n, pre + x.pre, `${x.load}${store(o)} = Math.min(Math.max(a, lo), hi);`);
}

/** f[o + i] = f[M[map + i]]: Split, Gather and other pure layout ops. */
export function emitGather(o: number, map: number, n: number): string {
  return loop(n, '', `${store(o)} = f[M[${int(map)} + i]];`);
}

/** f[M[map + i]] = f[a + i]: one input's part of a Concat. */
export function emitScatter(a: number, map: number, n: number): string {
  return loop(n, '', `f[M[${int(map)} + i]] = f[${int(a)} + i];`);
}

/** n elements from offset a to offset o: Identity, Reshape and the like. */
export function emitCopy(o: number, a: number, n: number): string {
  return `f.copyWithin(${int(o)}, ${int(a)}, ${int(a + n)});`;
}

/** f[o ..] = reduce(f[a ..]) into `nOut` outputs; M[map + i] = the slot of R input i folds into (from `acc`);
 * M[first + j] = the first input of output j; `count` inputs each. Max and min start from that first input and take
 * a later one only if greater (less), as onnxruntime's do: a NaN first stays, a NaN later is passed over. */
export function emitReduce(
  op: ReduceOp,
  o: number,
  a: number,
  map: number,
  first: number,
  acc: number,
  nIn: number,
  nOut: number,
  count: number,
): string {
  const fold =
    op === 'ReduceMax'
      ? 'const r = R[j]; R[j] = x > r ? x : r;'
      : op === 'ReduceMin'
        ? 'const r = R[j]; R[j] = x < r ? x : r;'
        : 'R[j] += x;';
  const init =
    op === 'ReduceMax' || op === 'ReduceMin'
      ? `for (let j = 0; j < ${int(nOut)}; j++) R[${int(acc)} + j] = f[M[${int(first)} + j]];`
      : `R.fill(0, ${int(acc)}, ${int(acc + nOut)});`;
  const finish = `for (let j = 0; j < ${int(nOut)}; j++) f[${int(o)} + j] = R[${int(acc)} + j]${op === 'ReduceMean' ? ` / ${int(count)}` : ''};`;
  return `${init} ${loop(nIn, '', `const x = f[${int(a)} + i]; const j = M[${int(map)} + i]; ${fold}`)} ${finish}`;
}
