/**
 * The inference engine an agent config names (agent/infer/config.ts): `auto` (default), `onnxruntime` or `js`.
 * onnxruntime-node is imported only when a model is loaded on it: mapping its native library costs the agent ~30 MB
 * of RSS, which the JS engine alone does not need.
 */
import { join } from 'node:path';
import { createAutoEngine } from './auto-engine.ts';
import { createChildVerifier } from './child-verifier.ts';
import type { InferConfig } from './config.ts';
import type { InferenceEngine } from './engine.ts';
import { createJsEngine } from './js-engine.ts';

/** onnxruntime-node, imported on first load. */
export function lazyOnnxEngine(): InferenceEngine {
  let engine: Promise<InferenceEngine> | null = null;
  return {
    name: 'onnxruntime',
    async load(bytes) {
      engine ??= import('./onnx-engine.ts').then((m) => m.createOnnxEngine());
      return (await engine).load(bytes);
    },
  };
}

/** Options: with `stateDir`, `auto` verifies each model version once in a child process and keeps the verdict in
 * `<stateDir>/engine-verdicts.json` (the agent); without, it probes in this process (tools, tests). */
export type EngineOptions = { stateDir?: string };

/** Creates the engine for `choice`. */
export function createEngine(choice: InferConfig['engine'] = 'auto', options: EngineOptions = {}): InferenceEngine {
  switch (choice) {
    case 'auto': {
      const verify = options.stateDir ? createChildVerifier({ cacheFile: join(options.stateDir, 'engine-verdicts.json') }) : undefined;
      return createAutoEngine(createJsEngine(), lazyOnnxEngine(), verify ? { verify } : {});
    }
    case 'onnxruntime': return lazyOnnxEngine();
    case 'js': return createJsEngine();
  }
}
