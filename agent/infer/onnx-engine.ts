/** Inference engine on onnxruntime-node (CPU). The only file of the agent that imports onnxruntime. */
import * as ort from 'onnxruntime-node';
import type { InferenceEngine, ModelSession, Tensor } from './engine.ts';

/** Options: thread counts default to 1, as the agent must stay a small fraction of one core. */
export type OnnxEngineOptions = { intraOpThreads?: number; interOpThreads?: number };

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
        async run(feeds) {
          const ortFeeds: Record<string, ort.Tensor> = {};
          for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor('float32', t.data, t.dims as number[]);
          const out = await session.run(ortFeeds);
          const result: Record<string, Tensor> = {};
          for (const [name, t] of Object.entries(out)) result[name] = { data: t.data as Float32Array, dims: t.dims };
          return result;
        },
        release: () => session.release(),
      };
    },
  };
}
