/**
 * Inference engine on onnxruntime-node (CPU). The only file of the agent that imports onnxruntime, and only
 * dynamically, at the first load: onnxruntime-node is an optional dependency of the agent (its native library costs
 * ~30 MB of RSS and 288 MB on disk), and a bundle must start without it. `onnxRuntimeAvailable()` tells whether it
 * is installed without loading it.
 */
import { createRequire } from 'node:module';
import type * as Ort from 'onnxruntime-node';
import { ModelError } from '../../contract/errors.ts';
import type { InferenceEngine, ModelSession, Tensor } from './engine.ts';

/** Options: thread counts default to 1, as the agent must stay a small fraction of one core. */
export type OnnxEngineOptions = { intraOpThreads?: number; interOpThreads?: number };

/** onnxruntime-node's version when it is installed where this module resolves packages, else null (not loaded). */
export function onnxRuntimeVersion(): string | null {
  try {
    return (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;
  } catch {
    return null;
  }
}

/** Whether onnxruntime-node is installed (checked on disk, not loaded). */
export function onnxRuntimeAvailable(): boolean {
  return onnxRuntimeVersion() !== null;
}

let ortModule: Promise<typeof Ort> | null = null;

/** onnxruntime-node, imported once. @throws ModelError saying it is not installed. */
async function loadOrt(): Promise<typeof Ort> {
  ortModule ??= import('onnxruntime-node').catch((err: unknown) => {
    ortModule = null;
    const why = (err as Error).message.split('\n')[0];
    throw new ModelError('(onnxruntime)', `onnxruntime-node is not installed (an optional dependency): ${why}`);
  });
  return ortModule;
}

/** Creates the onnxruntime-node engine; onnxruntime is imported at the first `load`. */
export function createOnnxEngine(options: OnnxEngineOptions = {}): InferenceEngine {
  const sessionOptions: Ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: options.intraOpThreads ?? 1,
    interOpNumThreads: options.interOpThreads ?? 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
  return {
    name: 'onnxruntime',
    async load(bytes: Uint8Array): Promise<ModelSession> {
      const ort = await loadOrt();
      const session = await ort.InferenceSession.create(bytes, sessionOptions);
      return {
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        async run(feeds) {
          const ortFeeds: Record<string, Ort.Tensor> = {};
          for (const [name, t] of Object.entries(feeds)) {
            ortFeeds[name] = new ort.Tensor('float32', t.data, t.dims as number[]);
          }
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
