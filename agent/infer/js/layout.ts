/**
 * Shapes and index maps for the JS engine's plans (plan.ts): numpy-style broadcasting, slices along an axis,
 * gathers and reductions, each turned into an Int32Array of element indices once per plan.
 */
import { GraphError } from './graph-error.ts';

/** Number of elements of a tensor of `dims` (1 for a scalar). */
export function size(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Row-major strides of `dims`. */
export function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1]! * dims[i + 1]!;
  return s;
}

/** Shape of a multidirectional (numpy) broadcast of `shapes`. @throws GraphError naming `node` when they do not fit. */
export function broadcastDims(shapes: readonly (readonly number[])[], node: string): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const k = rank - s.length + i;
      const d = s[i]!;
      if (d === out[k] || d === 1) continue;
      if (out[k] !== 1)
        throw new GraphError(
          `node '${node}': shapes ${shapes.map((x) => `[${x.join(', ')}]`).join(' and ')} do not broadcast`,
        );
      out[k] = d;
    }
  }
  return out;
}

const identities = new Map<number, Int32Array>();
/** [0, 1, ..., n-1] (shared per n; never written). */
export function identityMap(n: number): Int32Array {
  let m = identities.get(n);
  if (!m) identities.set(n, (m = Int32Array.from({ length: n }, (_, i) => i)));
  return m;
}

/** For each element of the broadcast result `outDims`, the index of the element of `inDims` it reads. */
export function broadcastMap(inDims: readonly number[], outDims: readonly number[]): Int32Array {
  const n = size(outDims);
  if (size(inDims) === n) return identityMap(n);
  const rank = outDims.length;
  const padded = [...new Array<number>(rank - inDims.length).fill(1), ...inDims];
  const inStrides = strides(padded);
  const m = new Int32Array(n);
  const coord = new Array<number>(rank).fill(0);
  for (let i = 0; i < n; i++) {
    let j = 0;
    for (let k = 0; k < rank; k++) if (padded[k] !== 1) j += coord[k]! * inStrides[k]!;
    m[i] = j;
    for (let k = rank - 1; k >= 0; k--) {
      if (++coord[k]! < outDims[k]!) break;
      coord[k] = 0;
    }
  }
  return m;
}

/** For each input element, the output element a reduction over `axes` folds it into; with the kept-dims shape and
 * the number of inputs per output. */
export function reduceMap(
  dims: readonly number[],
  axes: readonly number[],
): { map: Int32Array; outDims: number[]; count: number } {
  const outDims = dims.map((d, i) => (axes.includes(i) ? 1 : d));
  const outStrides = strides(outDims);
  const n = size(dims);
  const map = new Int32Array(n);
  const coord = new Array<number>(dims.length).fill(0);
  for (let i = 0; i < n; i++) {
    let j = 0;
    for (let k = 0; k < dims.length; k++) if (outDims[k] !== 1) j += coord[k]! * outStrides[k]!;
    map[i] = j;
    for (let k = dims.length - 1; k >= 0; k--) {
      if (++coord[k]! < dims[k]!) break;
      coord[k] = 0;
    }
  }
  return { map, outDims, count: n / Math.max(1, size(outDims)) };
}

/** For each element of a `len`-wide slice at `start` along `axis` of `dims`, its index in the whole tensor. */
export function sliceMap(dims: number[], axis: number, start: number, len: number): Int32Array {
  const st = strides(dims);
  const outer = size(dims.slice(0, axis));
  const inner = st[axis]!;
  const m = new Int32Array(outer * len * inner);
  let k = 0;
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < len; j++)
      for (let i = 0; i < inner; i++) m[k++] = o * dims[axis]! * inner + (start + j) * inner + i;
  return m;
}

/** For each output element of a Gather of `idx` along `axis`, its index in the input. */
export function gatherMap(dims: number[], axis: number, idx: number[]): Int32Array {
  const outer = size(dims.slice(0, axis));
  const inner = strides(dims)[axis]!;
  const m = new Int32Array(outer * idx.length * inner);
  let k = 0;
  for (let o = 0; o < outer; o++)
    for (const j of idx) for (let i = 0; i < inner; i++) m[k++] = o * dims[axis]! * inner + j * inner + i;
  return m;
}
