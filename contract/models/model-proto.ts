/**
 * The ONNX protobuf schema subset (`onnx.proto`) and a typed decoder for model bytes: what the graph builder writes
 * and what the agent's JS engine reads (agent/infer/js-engine.ts).
 */
import protobuf from 'protobufjs';
import { ONNX_DESCRIPTOR } from './onnx-descriptor.ts';

// From the descriptor generated from onnx.proto (gen-onnx-descriptor.mjs): nothing is read from disk at run time.
const schema = protobuf.Root.fromJSON(ONNX_DESCRIPTOR);
/** protobufjs type of `onnx.ModelProto`. */
export const ModelProto = schema.lookupType('onnx.ModelProto');

/** TensorProto.DataType codes used here. */
export const ONNX_TYPE = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float64: 11 } as const;

export type OnnxTensor = {
  name: string;
  dims: number[];
  data_type: number;
  raw_data: Uint8Array;
  float_data: number[];
  int32_data: number[];
  int64_data: number[];
};
export type OnnxAttribute = {
  name: string;
  type: number;
  f: number;
  i: number;
  s: Uint8Array;
  floats: number[];
  ints: number[];
};
export type OnnxNode = {
  op_type: string;
  domain: string;
  name: string;
  input: string[];
  output: string[];
  attribute: OnnxAttribute[];
};
export type OnnxDim = { dim_value?: number; dim_param?: string };
export type OnnxValueInfo = {
  name: string;
  type?: { tensor_type?: { elem_type: number; shape?: { dim: OnnxDim[] } } };
};
export type OnnxGraph = {
  name: string;
  node: OnnxNode[];
  initializer: OnnxTensor[];
  input: OnnxValueInfo[];
  output: OnnxValueInfo[];
};
export type OnnxModel = { ir_version: number; opset_import: { domain: string; version: number }[]; graph: OnnxGraph };

/** Decodes ONNX model bytes (int64 fields as numbers, bytes as Uint8Array, absent fields as their defaults).
 * @throws Error when the bytes are not an ONNX ModelProto. */
export function readModelProto(bytes: Uint8Array): OnnxModel {
  return ModelProto.toObject(ModelProto.decode(bytes), { defaults: true, longs: Number, arrays: true }) as OnnxModel;
}
