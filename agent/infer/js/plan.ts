/**
 * Execution plan of an ONNX graph for one set of input shapes: shape inference node by node, every tensor at an
 * offset of one Float32Array, broadcasting and layout turned into index maps, and one loop per node (kernels.ts) in
 * functions of `PART_NODES` loops compiled once. Built once per input shape (the anomaly model: once per feature
 * count); a run copies the inputs in, runs the functions and copies the outputs out.
 */
import type { OnnxAttribute, OnnxModel, OnnxNode } from '../../../contract/models/model-proto.ts';
import type { Constants, DType } from './graph-check.ts';
import { GraphError } from './graph-error.ts';
import {
  BINARY_OPS,
  BOOL_RESULT,
  UNARY_OPS,
  emitBinary,
  emitClip,
  emitCopy,
  emitGather,
  emitReduce,
  emitScatter,
  emitUnary,
  emitWhere,
  type BinaryOp,
  type Operand,
  type ReduceOp,
  type UnaryOp,
} from './kernels.ts';
import { broadcastDims, broadcastMap, gatherMap, identityMap, reduceMap, size, sliceMap } from './layout.ts';

/** Most elements a plan holds in its tensors, and in its index maps (2^24: 64 MB each): beyond, the graph is not
 * one for this engine, and building it must fail before it exhausts the agent's memory. */
export const MAX_ELEMENTS = 1 << 24;

/** Node loops per compiled function of a plan (see `buildPlan`). */
const PART_NODES = 32;

/** Output sets a plan rotates through: an output of one run stays valid for the next `OUTPUT_RING - 1` runs. */
export const OUTPUT_RING = 3;

/** Plan for one set of input shapes: `run` copies the inputs in, runs the graph, and returns its outputs in the next
 * set of the ring (valid for `OUTPUT_RING - 1` further runs). `warmUp(maxMs)` runs the graph's functions on made-up
 * inputs until V8 compiles them with TurboFan in the background (see {@link warmUp}); the engine calls it when a model
 * is loaded, off the agent's cycle. */
export type Plan = {
  run(feeds: Readonly<Record<string, Float32Array>>): Record<string, { data: Float32Array; dims: number[] }>;
  warmUp(maxMs: number): void;
};

type Slot = { dims: number[]; dtype: DType; off: number };

function attr(node: OnnxNode, name: string): OnnxAttribute | undefined {
  return node.attribute.find((a) => a.name === name);
}
function attrInt(node: OnnxNode, name: string, fallback: number): number {
  const a = attr(node, name);
  return a ? Number(a.i) : fallback;
}
function axisOf(axis: number, rank: number, node: OnnxNode): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= Math.max(rank, 1))
    throw new GraphError(`node '${node.name}': axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** Builds the plan of `model` for the given input dims, not yet warmed up (`Plan.warmUp`).
 * @throws GraphError naming the node whose shapes do not fit. */
export function buildPlan(
  model: OnnxModel,
  consts: Constants,
  inputDims: Readonly<Record<string, readonly number[]>>,
): Plan {
  const slots = new Map<string, Slot>();
  const init: { off: number; data: Float32Array | Uint8Array }[] = [];
  const src: string[] = [];
  const mapData: number[] = [];
  let floats = 0;
  let accSize = 0;
  const define = (name: string, dims: number[], dtype: DType): Slot => {
    const slot = { dims, dtype, off: floats };
    floats += size(dims);
    if (floats > MAX_ELEMENTS)
      throw new GraphError(
        `value '${name}' [${dims.join(', ')}] takes the plan past ${MAX_ELEMENTS} elements; the JS engine is for small graphs`,
      );
    slots.set(name, slot);
    return slot;
  };
  // Values are written once (SSA), so a reshape, or a contiguous part of a Split, can be a view of its input: no copy.
  const alias = (name: string, dims: number[], dtype: DType, off: number): void => {
    slots.set(name, { dims, dtype, off });
  };
  /** Stores an index map with every entry shifted by `base` (maps hold absolute offsets); returns where it starts. */
  const mapAt = (m: Int32Array, base: number): number => {
    const at = mapData.length;
    if (at + m.length > MAX_ELEMENTS)
      throw new GraphError(`index maps take the plan past ${MAX_ELEMENTS} elements; the JS engine is for small graphs`);
    for (let i = 0; i < m.length; i++) mapData.push(m[i]! + base);
    return at;
  };
  /** How element i of an output of `outDims` reads `s` (broadcast): a scalar, directly, or through an index map. */
  const operand = (s: Slot, outDims: readonly number[]): Operand => {
    if (size(s.dims) === 1 && size(outDims) > 1) return { off: s.off, map: null, scalar: true };
    const m = broadcastMap(s.dims, outDims);
    return { off: s.off, map: m === identityMap(m.length) ? null : mapAt(m, s.off), scalar: false };
  };

  const inputs: { name: string; off: number; size: number }[] = [];
  for (const inp of model.graph.input) {
    if (consts.has(inp.name)) continue;
    const s = define(inp.name, [...(inputDims[inp.name] ?? [])], 'float32');
    inputs.push({ name: inp.name, off: s.off, size: size(s.dims) });
  }
  for (const [name, c] of consts) if (c.data) init.push({ off: define(name, c.dims, c.dtype).off, data: c.data });
  const get = (node: OnnxNode, k: number): Slot => {
    const name = node.input[k];
    const s = name ? slots.get(name) : undefined;
    if (!s)
      throw new GraphError(
        `node '${node.name}' (${node.op_type}): input ${k} '${name ?? ''}' is not a float or bool value defined before it`,
      );
    return s;
  };
  const ints = (node: OnnxNode, k: number): number[] | undefined => {
    const name = node.input[k];
    if (name === undefined || name === '') return undefined;
    const c = consts.get(name);
    if (c?.dtype !== 'int')
      throw new GraphError(`node '${node.name}' (${node.op_type}): input '${name}' must be a constant integer tensor`);
    return c.ints;
  };
  for (const node of model.graph.node) addNode(node);

  function addNode(node: OnnxNode): void {
    const op = node.op_type;
    const out = (k: number, dims: number[], dtype: DType) => define(node.output[k]!, dims, dtype);
    if ((UNARY_OPS as readonly string[]).includes(op)) {
      const a = get(node, 0);
      const n = size(a.dims);
      const o = out(0, a.dims, BOOL_RESULT.has(op) ? 'bool' : 'float32');
      src.push(emitUnary(op as UnaryOp, o.off, operand(a, a.dims), n));
      return;
    }
    if ((BINARY_OPS as readonly string[]).includes(op)) {
      const args = node.input.map((_, k) => get(node, k));
      const dims = broadcastDims(
        args.map((a) => a.dims),
        node.name,
      );
      const n = size(dims);
      const o = out(0, dims, BOOL_RESULT.has(op) ? 'bool' : 'float32');
      if (args.length === 1) {
        src.push(emitGather(o.off, mapAt(broadcastMap(args[0]!.dims, dims), args[0]!.off), n));
        return;
      }
      args.slice(1).forEach((b, k) => {
        // Max/Min/Sum of more than two fold into the output in place
        const a = k === 0 ? operand(args[0]!, dims) : { off: o.off, map: null, scalar: false };
        src.push(emitBinary(op as BinaryOp, o.off, a, operand(b, dims), n));
      });
      return;
    }
    switch (op) {
      case 'Identity':
      case 'Reshape':
      case 'Unsqueeze':
      case 'Squeeze': {
        const a = get(node, 0);
        alias(node.output[0]!, reshaped(node, a.dims, ints(node, 1)), a.dtype, a.off);
        return;
      }
      case 'Where': {
        const [c, a, b] = [get(node, 0), get(node, 1), get(node, 2)];
        const dims = broadcastDims([c.dims, a.dims, b.dims], node.name);
        const n = size(dims);
        const o = out(0, dims, a.dtype);
        src.push(emitWhere(o.off, operand(c, dims), operand(a, dims), operand(b, dims), n));
        return;
      }
      case 'Clip': {
        const a = get(node, 0);
        const lo = node.input[1] ? get(node, 1).off : null;
        const hi = node.input[2] ? get(node, 2).off : null;
        const n = size(a.dims);
        src.push(emitClip(out(0, a.dims, 'float32').off, operand(a, a.dims), lo, hi, n));
        return;
      }
      case 'Split': {
        const a = get(node, 0);
        const axis = axisOf(attrInt(node, 'axis', 0), a.dims.length, node);
        const total = a.dims[axis]!;
        const parts =
          ints(node, 1) ??
          attr(node, 'split')?.ints.map(Number) ??
          equalSplit(total, node.output.length, attr(node, 'num_outputs') !== undefined, node);
        if (parts.length !== node.output.length || parts.reduce((s, p) => s + p, 0) !== total)
          throw new GraphError(
            `node '${node.name}' (Split): sizes [${parts.join(', ')}] do not split ${total} into ${node.output.length}`,
          );
        let start = 0;
        parts.forEach((p, k) => {
          const dims = a.dims.map((d, i) => (i === axis ? p : d));
          if (size(a.dims.slice(0, axis)) === 1)
            alias(node.output[k]!, dims, a.dtype, a.off + start * size(a.dims.slice(axis + 1)));
          else
            src.push(emitGather(out(k, dims, a.dtype).off, mapAt(sliceMap(a.dims, axis, start, p), a.off), size(dims)));
          start += p;
        });
        return;
      }
      case 'Concat': {
        const args = node.input.map((_, k) => get(node, k));
        const rank = args[0]!.dims.length;
        const axis = axisOf(attrInt(node, 'axis', 0), rank, node);
        const dims = [...args[0]!.dims];
        dims[axis] = args.reduce((s, a) => s + a.dims[axis]!, 0);
        for (const a of args)
          if (a.dims.length !== rank || a.dims.some((d, i) => i !== axis && d !== dims[i]))
            throw new GraphError(
              `node '${node.name}' (Concat): input dims [${a.dims.join(', ')}] do not fit [${dims.join(', ')}] on axis ${axis}`,
            );
        const o = out(0, dims, args[0]!.dtype);
        let start = 0;
        for (const a of args) {
          src.push(emitScatter(a.off, mapAt(sliceMap(dims, axis, start, a.dims[axis]!), o.off), size(a.dims)));
          start += a.dims[axis]!;
        }
        return;
      }
      case 'Gather': {
        const a = get(node, 0);
        const axis = axisOf(attrInt(node, 'axis', 0), a.dims.length, node);
        const idx = ints(node, 1)!;
        const n = a.dims[axis]!;
        for (const i of idx)
          if (i < -n || i >= n)
            throw new GraphError(`node '${node.name}' (Gather): index ${i} out of range for axis size ${n}`);
        const dims = [...a.dims.slice(0, axis), ...consts.get(node.input[1]!)!.dims, ...a.dims.slice(axis + 1)];
        src.push(
          emitGather(
            out(0, dims, a.dtype).off,
            mapAt(
              gatherMap(
                a.dims,
                axis,
                idx.map((i) => (i < 0 ? i + n : i)),
              ),
              a.off,
            ),
            size(dims),
          ),
        );
        return;
      }
      case 'ReduceSum':
      case 'ReduceMax':
      case 'ReduceMin':
      case 'ReduceMean': {
        const a = get(node, 0);
        const rank = a.dims.length;
        const given = ints(node, 1) ?? attr(node, 'axes')?.ints.map(Number) ?? [];
        if (given.length === 0 && attrInt(node, 'noop_with_empty_axes', 0) === 1) {
          src.push(emitCopy(out(0, a.dims, 'float32').off, a.off, size(a.dims)));
          return;
        }
        const axes = given.length === 0 ? a.dims.map((_, i) => i) : given.map((x) => axisOf(x, rank, node));
        const { map, outDims, count } = reduceMap(a.dims, axes);
        const o = out(
          0,
          attrInt(node, 'keepdims', 1) === 1 ? outDims : outDims.filter((_, i) => !axes.includes(i)),
          'float32',
        );
        const nOut = size(outDims);
        const first = new Int32Array(nOut).fill(-1);
        map.forEach((j, i) => {
          if (first[j]! < 0) first[j] = i;
        });
        src.push(
          emitReduce(
            op as ReduceOp,
            o.off,
            a.off,
            mapAt(map, accSize),
            mapAt(first, a.off),
            accSize,
            size(a.dims),
            nOut,
            count,
          ),
        );
        accSize += nOut;
        return;
      }
      default:
        throw new GraphError(`node '${node.name}': op ${op} is not supported`);
    }
  }

  const outputs = model.graph.output.map((o) => {
    const s = slots.get(o.name);
    if (!s) throw new GraphError(`graph output '${o.name}' is not produced by any node`);
    return { name: o.name, off: s.off, n: size(s.dims), dims: s.dims };
  });
  const f = new Float32Array(floats);
  for (const c of init) f.set(c.data, c.off);
  const M = Int32Array.from(mapData);
  const R = new Float64Array(accSize);
  // The node loops go into functions of PART_NODES loops each, which one small function calls in order (kernels.ts
  // says why not one call per node, and what may appear in the source). As one function, the anomaly model's 269 loops made TurboFan's compile take
  // 600-750 ms of CPU and 90 MB of memory at its peak, freed afterwards but left behind as the agent's peak RSS; in
  // parts of 32, 250 ms and 6-9 MB, for the same run time.
  const parts: string[] = [];
  for (let i = 0; i < src.length; i += PART_NODES) parts.push(src.slice(i, i + PART_NODES).join('\n'));
  type Kernel = (f: Float32Array, M: Int32Array, R: Float64Array) => void;
  const { compiled, partFns } = new Function(
    `'use strict';\n${parts.map((p, k) => `function part${k}(f, M, R) {\n${p}\n}`).join('\n')}\n` +
      `return { compiled: function compiledGraph(f, M, R) {\n${parts.map((_, k) => `part${k}(f, M, R);`).join('\n')}\n}, ` +
      `partFns: [${parts.map((_, k) => `part${k}`).join(', ')}] };`,
  )() as { compiled: Kernel; partFns: Kernel[] };
  // Outputs go to a ring of OUTPUT_RING preallocated sets: a fresh ArrayBuffer per output per run (what onnxruntime
  // hands back) made the anomaly model's p90 twice its p50 here, from V8's external-memory bookkeeping.
  const views = outputs.map((o) => f.subarray(o.off, o.off + o.n));
  const ring = Array.from({ length: OUTPUT_RING }, () =>
    outputs.map((o) => ({ data: new Float32Array(o.n), dims: o.dims })),
  );
  let turn = 0;
  return {
    warmUp(maxMs) {
      // Fractional inputs: V8 specializes arithmetic to the kinds of numbers it has seen, and code trained on zeros
      // (small integers) is thrown away at the first real reading. Safe between runs: a run copies its inputs in and
      // recomputes every value, and the outputs it handed out live in the ring, not in `f`.
      for (const inp of inputs) for (let i = 0; i < inp.size; i++) f[inp.off + i] = 1.5 + ((i * 7919) % 13) * 0.37;
      compiled(f, M, R); // every value once, so that each part below runs on values like its real ones
      const start = performance.now();
      warmUp(
        partFns.map((p) => () => p(f, M, R)),
        maxMs,
      );
      awaitCompiled(() => compiled(f, M, R), start + maxMs + COMPILE_WAIT_MS);
    },
    run(feeds) {
      for (const inp of inputs) {
        const data = feeds[inp.name];
        if (data?.length !== inp.size)
          throw new GraphError(`input '${inp.name}' has ${data?.length ?? 0} values, its dims need ${inp.size}`);
        f.set(data, inp.off);
      }
      compiled(f, M, R);
      const set = ring[turn]!;
      turn = (turn + 1) % OUTPUT_RING;
      const result: Record<string, { data: Float32Array; dims: number[] }> = {};
      for (let k = 0; k < outputs.length; k++) {
        set[k]!.data.set(views[k]!);
        result[outputs[k]!.name] = set[k]!;
      }
      return result;
    },
  };
}

/**
 * Runs each of `fns` (a plan's parts) until V8 has marked it hot, as far as calls tell: `WARM_CALLS` times, or for
 * `WARM_PART_MS`, whichever comes first, and all of them for at most `maxMs`; then once more each, since V8 starts the
 * compile of a function marked hot at its next call. The compiles run on a background thread and the agent's next
 * cycles run their optimized code (~190 µs a run interpreted for the anomaly model, a fraction of that optimized).
 * An earlier warm-up ran the graph until V8 had swapped in optimized code, spinning through the whole background
 * compile: 400-700 ms of CPU at start for nothing. V8 marks a function hot after a number of calls that grows with
 * its size and shrinks with the work a call does: a part of loops over a 40×40 matrix after a few calls, a part of
 * loops over a few values only after hundreds (~1 µs each); run as a whole graph, those were marked only on the
 * agent's cycles and compiled one per cycle over its first minutes. Safe on any buffer contents: every value is
 * recomputed from the inputs each run.
 */
function warmUp(fns: readonly (() => void)[], maxMs: number): void {
  const start = performance.now();
  for (const fn of fns) {
    const t0 = performance.now();
    for (let i = 0; i < WARM_CALLS; i++) {
      fn();
      const t = performance.now();
      if (t - t0 >= WARM_PART_MS || t - start >= maxMs) break;
    }
  }
  for (const fn of fns) fn();
}

/**
 * Waits, without spinning, until V8 has swapped in the optimized code of `fn` (a run takes under a quarter of the
 * time of the first one here) or until `deadline`: sleeps 10 ms at a time (Atomics.wait: the thread sleeps, the
 * background compile runs) and runs `fn` once after each sleep, since V8 installs a finished compile at the next
 * call. Without it, the agent's next runs (or cycles, where they follow one another quickly) run interpreted code
 * beside the compile that is still under way.
 */
function awaitCompiled(fn: () => void, deadline: number): void {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const t0 = performance.now();
  fn();
  const first = performance.now() - t0;
  while (performance.now() < deadline) {
    Atomics.wait(sleeper, 0, 0, 10);
    const t = performance.now();
    fn();
    if (performance.now() - t < first / 4) return;
  }
}

/** How long a warm-up waits for the background compiles after marking (they took 250 ms of CPU here). */
const COMPILE_WAIT_MS = 500;

/** Calls of each part in a warm-up, and the time one part may take (a part heavy enough to reach it is hot already). */
const WARM_CALLS = 2000;
const WARM_PART_MS = 10;

/** Sizes of a Split without explicit sizes: equal parts; with opset 18's `num_outputs`, parts of ceil(total / n)
 * and a smaller last one (as onnxruntime does). */
function equalSplit(total: number, n: number, uneven: boolean, node: OnnxNode): number[] {
  if (total % n === 0) return Array.from({ length: n }, () => total / n);
  const part = Math.ceil(total / n);
  if (!uneven || part * (n - 1) >= total)
    throw new GraphError(`node '${node.name}' (Split): axis size ${total} does not split into ${n} parts`);
  return Array.from({ length: n }, (_, k) => (k < n - 1 ? part : total - part * (n - 1)));
}

/** Dims after Identity/Reshape/Unsqueeze/Squeeze (opset 13: shape and axes are inputs). */
function reshaped(node: OnnxNode, dims: number[], arg: number[] | undefined): number[] {
  const n = size(dims);
  switch (node.op_type) {
    case 'Identity':
      return dims;
    case 'Reshape': {
      const shape = (arg ?? []).map((d, i) => (d === 0 ? dims[i]! : d));
      const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
      const out = shape.map((d) => (d === -1 ? n / known : d));
      if (size(out) !== n)
        throw new GraphError(
          `node '${node.name}' (Reshape): cannot reshape [${dims.join(', ')}] to [${shape.join(', ')}]`,
        );
      return out;
    }
    case 'Unsqueeze': {
      const rank = dims.length + (arg ?? []).length;
      const axes = (arg ?? []).map((a) => (a < 0 ? a + rank : a));
      const out: number[] = [];
      let k = 0;
      for (let i = 0; i < rank; i++) out.push(axes.includes(i) ? 1 : dims[k++]!);
      return out;
    }
    default: {
      const axes = (arg ?? dims.flatMap((d, i) => (d === 1 ? [i] : []))).map((a) => (a < 0 ? a + dims.length : a));
      return dims.filter((_, i) => !axes.includes(i));
    }
  }
}
