/**
 * Inference engine port: something that loads model bytes and runs them on named float32 tensors.
 * Implementation: `onnx-engine.ts` (onnxruntime-node). Tests drive it with the real model files.
 */

/** A dense float32 tensor. `dims` uses concrete sizes. */
export type Tensor = { readonly data: Float32Array; readonly dims: readonly number[] };

/** A loaded model, ready to run. */
export interface ModelSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs the model once; every input must be fed. Resolves with every output, each in a fresh buffer the caller
   * may keep (stateful models feed outputs back as the next inputs without copying). Preallocated outputs were
   * measured ~5 µs per call slower with onnxruntime-node 1.30 (bench/infer.ts), so there is no such option. */
  run(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>>;
  /** Frees native resources. */
  release(): Promise<void>;
}

/** Loads model bytes into sessions. */
export interface InferenceEngine {
  readonly name: string;
  load(bytes: Uint8Array): Promise<ModelSession>;
}

/** The model could not be loaded or run by this engine; `model` names it, `reason` says why. */
export class ModelError extends Error {
  override name = 'ModelError';
  constructor(public readonly model: string, public readonly reason: string) {
    super(`model '${model}': ${reason}`);
  }
}
