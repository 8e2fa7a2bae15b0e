/**
 * Inference engine port: something that loads model bytes and runs them on named float32 tensors.
 * Implementations: `onnx-engine.ts` (onnxruntime-node), `js-engine.ts` (plain JS, for small graphs) and
 * `auto-engine.ts` (the JS engine where it agrees with onnxruntime, else onnxruntime). Every implementation passes the
 * contract suite in `engine.contract.test.ts`, with the real model files.
 */

/** A dense float32 tensor. `dims` uses concrete sizes. */
export type Tensor = { readonly data: Float32Array; readonly dims: readonly number[] };

/** A loaded model, ready to run. */
export interface ModelSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs the model once; every input must be fed. Resolves with every output. An output stays valid, and is not
   * written to, for at least the session's next two runs (stateful models feed outputs back as the next inputs
   * without copying); a caller keeping one longer copies it. onnxruntime-node hands out fresh buffers (preallocated
   * outputs measured ~5 µs per call slower there); the JS engine rotates preallocated ones (js/plan.ts says why). */
  run(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>>;
  /** Frees native resources. */
  release(): Promise<void>;
  /** Which engine runs it, when an engine chooses among several (auto-engine.ts), and why. */
  readonly engine?: string;
  readonly engineNote?: string;
  /** Gets ready to run inputs of these dims (the JS engine builds its plan, and with `warm`, the default, runs it
   * until V8 has optimized it), so that the first run does not pay for it. Called when a model is loaded. */
  prepare?(dims: Readonly<Record<string, readonly number[]>>, options?: { warm?: boolean }): void;
}

/** What the caller knows about the model besides its bytes: its verdict (contract/models/verdict.ts), signed by the
 * control plane in the model manifest or shipped beside the model; unchecked here, each engine checks what it uses. */
export type LoadOptions = { verdict?: unknown };

/** Loads model bytes into sessions. `id` names the build of an engine whose agreement a verdict records. */
export interface InferenceEngine {
  readonly name: string;
  readonly id?: string;
  load(bytes: Uint8Array, options?: LoadOptions): Promise<ModelSession>;
}
