/**
 * What the JS engine accepts: opset 13 or later in the standard domain, float32 graph inputs and outputs, the ops in
 * `SUPPORTED_OPS`, at most `MAX_NODES` nodes, integer tensors only as constants. `checkGraph` refuses anything else at
 * load, naming the op or value, so the caller can use onnxruntime instead; it also decodes the initializers.
 */
import type { OnnxModel, OnnxTensor } from '../../../contract/models/model-proto.ts';
import { ONNX_TYPE } from '../../../contract/models/model-proto.ts';
import { GraphError } from './graph-error.ts';
import { BINARY_OPS, UNARY_OPS } from './kernels.ts';
import { size } from './layout.ts';

const LAYOUT_OPS = [
  'Identity',
  'Split',
  'Concat',
  'Gather',
  'Reshape',
  'Unsqueeze',
  'Squeeze',
  'Where',
  'Clip',
  'ReduceSum',
  'ReduceMax',
  'ReduceMin',
  'ReduceMean',
] as const;
/** Every op the JS engine runs. */
export const SUPPORTED_OPS: ReadonlySet<string> = new Set<string>([...UNARY_OPS, ...BINARY_OPS, ...LAYOUT_OPS]);

/** The JS engine is for small graphs: one generated function holds every node's loop. */
export const MAX_NODES = 1000;

/** A constant's element type: float32 and bool take part in arithmetic, integers only as operands such as axes. */
export type DType = 'float32' | 'bool' | 'int';
/** A decoded constant (initializer). */
export type Value = { dims: number[]; dtype: DType; data?: Float32Array | Uint8Array; ints?: number[] };

/** Constants of a graph (its initializers), decoded once per model. */
export type Constants = Map<string, Value>;

/** Checks the graph uses only what the engine runs (opset ≥ 13 standard domain, float32 inputs and outputs, supported
 * ops, constant integer operands); returns its decoded constants. @throws GraphError */
export function checkGraph(model: OnnxModel): Constants {
  const opset = model.opset_import.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0;
  if (opset < 13) throw new GraphError(`opset ${opset} is not supported (13 or later)`);
  const consts: Constants = new Map(model.graph.initializer.map((t) => [t.name, constant(t)]));
  for (const io of [...model.graph.input, ...model.graph.output]) {
    if (consts.has(io.name)) continue;
    const t = io.type?.tensor_type?.elem_type;
    if (t !== ONNX_TYPE.float32)
      throw new GraphError(`graph input/output '${io.name}' has element type ${t}; only float32 is supported`);
  }
  if (model.graph.node.length > MAX_NODES)
    throw new GraphError(`${model.graph.node.length} nodes; the JS engine runs graphs of up to ${MAX_NODES}`);
  for (const node of model.graph.node) {
    if (node.domain !== '' && node.domain !== 'ai.onnx')
      throw new GraphError(`node '${node.name}': domain '${node.domain}' is not supported`);
    if (!SUPPORTED_OPS.has(node.op_type))
      throw new GraphError(
        `node '${node.name}': op ${node.op_type} is not supported (supported: ${[...SUPPORTED_OPS].join(', ')})`,
      );
  }
  return consts;
}

function constant(t: OnnxTensor): Value {
  const dims = t.dims.map(Number);
  const n = size(dims);
  const raw = t.raw_data.length > 0 ? new Uint8Array(t.raw_data) : null; // a copy at offset 0 (protobufjs may hand a view into a pooled Buffer)
  switch (t.data_type) {
    case ONNX_TYPE.float32:
      return {
        dims,
        dtype: 'float32',
        data: raw ? new Float32Array(raw.buffer, 0, n) : Float32Array.from(t.float_data),
      };
    case ONNX_TYPE.bool:
      return { dims, dtype: 'bool', data: raw ? new Uint8Array(raw.buffer, 0, n) : Uint8Array.from(t.int32_data) };
    case ONNX_TYPE.int64:
      return {
        dims,
        dtype: 'int',
        ints: raw ? Array.from(new BigInt64Array(raw.buffer, 0, n), Number) : t.int64_data.map(Number),
      };
    case ONNX_TYPE.int32:
      return { dims, dtype: 'int', ints: raw ? Array.from(new Int32Array(raw.buffer, 0, n)) : [...t.int32_data] };
    default:
      throw new GraphError(
        `initializer '${t.name}' has element type ${t.data_type}; supported: float32, bool, int32, int64`,
      );
  }
}
