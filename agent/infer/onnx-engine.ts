/** Inference engine on onnxruntime-node (CPU). The only file of the agent that imports onnxruntime. */
import * as ort from 'onnxruntime-node';
import type { InferenceEngine, ModelSession, Tensor } from './engine.ts';

/** Options: thread counts default to 1, as the agent must stay a small fraction of one core. */
export type OnnxEngineOptions = { intraOpThreads?: number; interOpThreads?: number };

/**
 * onnxruntime tensor over a buffer, cached per buffer: a stateful model feeds the same (double-buffered) arrays every
 * cycle, so the per-cycle path builds no wrapper objects and copies nothing.
 */
const wrappers = new WeakMap<Float32Array, ort.Tensor>();
function wrap(t: Tensor): ort.Tensor {
  const cached = wrappers.get(t.data);
  if (cached && cached.dims.length === t.dims.length && cached.dims.every((d, i) => d === t.dims[i])) return cached;
  const fresh = new ort.Tensor('float32', t.data, t.dims as number[]);
  wrappers.set(t.data, fresh);
  return fresh;
}

/** Creates the onnxruntime-node engine. */
export function createOnnxEngine(options: OnnxEngineOptions = {}): InferenceEngine {
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: options.intraOpThreads ?? 1,
    interOpNumThreads: options.interOpThreads ?? 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
  return {
    name: 'onnxruntime',
    async load(bytes: Uint8Array): Promise<ModelSession> {
      const session = await ort.InferenceSession.create(bytes, sessionOptions);
      return {
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        async run(feeds, into) {
          const ortFeeds: Record<string, ort.Tensor> = {};
          for (const name in feeds) ortFeeds[name] = wrap(feeds[name]!);
          let out: ort.InferenceSession.OnnxValueMapType;
          if (into) {
            const fetches: Record<string, ort.Tensor | null> = {};
            for (const name of session.outputNames) fetches[name] = into[name] ? wrap(into[name]) : null;
            out = await session.run(ortFeeds, fetches);
          } else {
            out = await session.run(ortFeeds);
          }
          const result: Record<string, Tensor> = {};
          for (const name in out) {
            const t = out[name] as ort.Tensor;
            result[name] = into?.[name] ?? { data: t.data as Float32Array, dims: t.dims };
          }
          return result;
        },
        release: () => session.release(),
      };
    },
  };
}
