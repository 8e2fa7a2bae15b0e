/**
 * Small ONNX graph builder: declare inputs/outputs/initializers/nodes in TypeScript, serialize to standard ONNX bytes
 * (protobufjs over the ONNX schema subset in `onnx.proto`). No Python, no onnx package.
 *
 * Usage:
 * ```ts
 * import { GraphBuilder } from './graph.ts';
 * const g = new GraphBuilder('scaler');
 * const x = g.input('x', 'float32', [1, 'F']);            // 'F' = symbolic (dynamic) dimension
 * const w = g.initializer('w', new Float32Array([2]), [1]); // fitted parameter, stored in the graph
 * const y = g.op('Mul', [x, w]);                            // returns the output value name
 * const c = g.op('Clip', [y, g.scalar(0), g.scalar(1)]);
 * g.output('y', 'float32', [1, 'F'], c);                   // binds graph output 'y' to value c (Identity if renamed)
 * const bytes: Uint8Array = g.toBytes({ docString: 'doubles x' }); // ort.InferenceSession.create(bytes)
 * ```
 * Integers given as attributes become INT attributes; wrap in `{ float: v }` to force FLOAT. Defaults: opset 17,
 * IR version 8 (readable by onnxruntime >= 1.14).
 */
import { ModelProto, readModelProto } from '../../contract/models/model-proto.ts';

/** Element types the builder can declare (ONNX TensorProto.DataType codes). */
export const DTYPE = { float32: 1, int32: 6, int64: 7, bool: 9 } as const;
export type DType = keyof typeof DTYPE;
/** A dimension: a fixed size, or a name for a dynamic (symbolic) size. */
export type Dim = number | string;
/** Node attribute value; plain integers are INT, other numbers FLOAT. */
export type AttrValue = number | string | number[] | { float: number } | { floats: number[] };

interface Attr {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  floats?: number[];
  ints?: number[];
}
interface ValueInfo {
  name: string;
  dtype: DType;
  shape: Dim[];
}

function valueInfo(v: ValueInfo): object {
  return {
    name: v.name,
    type: {
      tensor_type: {
        elem_type: DTYPE[v.dtype],
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
      },
    },
  };
}

function attr(name: string, v: AttrValue): Attr {
  if (typeof v === 'string') return { name, type: 3, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: 2, i: v } : { name, type: 1, f: v };
  if (Array.isArray(v)) return { name, type: 7, ints: v };
  if ('float' in v) return { name, type: 1, f: v.float };
  return { name, type: 6, floats: v.floats };
}

/** Builds one ONNX graph. Value names are unique strings; `op` invents names for intermediate values. */
export class GraphBuilder {
  private readonly nodes: object[] = [];
  private readonly inits: object[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly used = new Set<string>();
  private seq = 0;

  /** @param name graph name (shows in tools such as Netron). */
  constructor(readonly name: string) {}

  private fresh(hint: string): string {
    let n = `${hint}_${this.seq++}`;
    while (this.used.has(n)) n = `${hint}_${this.seq++}`;
    return n;
  }

  private claim(name: string): string {
    if (this.used.has(name)) throw new Error(`onnx graph '${this.name}': value name '${name}' already used`);
    this.used.add(name);
    return name;
  }

  /** Declares a graph input; returns its value name. */
  input(name: string, dtype: DType, shape: Dim[]): string {
    this.inputs.push({ name: this.claim(name), dtype, shape });
    return name;
  }

  /** Declares graph output `name`, produced from value `from` (defaults to a value already called `name`). */
  output(name: string, dtype: DType, shape: Dim[], from: string = name): void {
    if (from !== name) this.op('Identity', [from], {}, name);
    this.outputs.push({ name, dtype, shape });
  }

  /** Adds a constant tensor (a fitted parameter) stored in the model; returns its value name. */
  initializer(
    name: string,
    data: Float32Array | Int32Array | BigInt64Array | Uint8Array,
    dims: number[],
    dtype?: DType,
  ): string {
    const t: DType =
      dtype ??
      (data instanceof Float32Array
        ? 'float32'
        : data instanceof Int32Array
          ? 'int32'
          : data instanceof BigInt64Array
            ? 'int64'
            : 'bool');
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== data.length)
      throw new Error(
        `onnx initializer '${name}': dims ${JSON.stringify(dims)} hold ${count} values, data has ${data.length}`,
      );
    const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    this.inits.push({ name: this.claim(name), dims, data_type: DTYPE[t], raw_data: raw });
    return name;
  }

  /** Shorthand: a float32 scalar-like constant of shape [1] (broadcasts). */
  scalar(v: number, name?: string): string {
    return this.initializer(name ?? this.fresh('c'), new Float32Array([v]), [1]);
  }

  /** Shorthand: an int64 1-D constant (for Split sizes, axes, shapes). */
  ints(v: number[], name?: string): string {
    return this.initializer(name ?? this.fresh('i'), BigInt64Array.from(v.map((n) => BigInt(n))), [v.length]);
  }

  /** Adds one node with a single output; returns the output value name (`out`, or a fresh one). */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, out?: string): string {
    return this.opN(opType, inputs, 1, attrs, out ? [out] : undefined)[0]!;
  }

  /** Adds one node with `n` outputs (e.g. Split); returns their value names. Use '' in `inputs` for an omitted optional input. */
  opN(opType: string, inputs: string[], n: number, attrs: Record<string, AttrValue> = {}, outs?: string[]): string[] {
    const outputs = outs
      ? outs.map((o) => this.claim(o))
      : Array.from({ length: n }, () => this.claim(this.fresh(opType.toLowerCase())));
    this.nodes.push({
      op_type: opType,
      input: inputs,
      output: outputs,
      name: this.fresh(`n_${opType}`),
      attribute: Object.entries(attrs).map(([k, v]) => attr(k, v)),
    });
    return outputs;
  }

  /** Number of nodes so far (keep inference graphs small: tens of nodes). */
  get nodeCount(): number {
    return this.nodes.length;
  }

  /** Serializes to ONNX model bytes. Defaults: opset 17, IR version 8, producer 'homeostat'. */
  toBytes(
    opts: {
      opset?: number;
      irVersion?: number;
      docString?: string;
      modelVersion?: number;
      metadata?: Record<string, string>;
    } = {},
  ): Uint8Array {
    const model = {
      ir_version: opts.irVersion ?? 8,
      opset_import: [{ domain: '', version: opts.opset ?? 17 }],
      producer_name: 'homeostat',
      producer_version: '0.1.0',
      model_version: opts.modelVersion ?? 1,
      doc_string: opts.docString ?? '',
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.inits,
        input: this.inputs.map(valueInfo),
        output: this.outputs.map(valueInfo),
      },
      metadata_props: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
    };
    const err = ModelProto.verify(model);
    if (err) throw new Error(`onnx model '${this.name}' invalid: ${err}`);
    return ModelProto.encode(ModelProto.fromObject(model)).finish();
  }
}

/** Decodes ONNX bytes back to a plain object (tests and tooling: inspect node count, initializers). */
export function decodeModel(bytes: Uint8Array): {
  graph: {
    node: { op_type: string }[];
    initializer: { name: string }[];
    input: { name: string }[];
    output: { name: string }[];
  };
} {
  return readModelProto(bytes);
}
