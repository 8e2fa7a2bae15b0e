/**
 * The inference engine an agent config names (agent/infer/config.ts): `auto` (default), `onnxruntime` or `js`.
 * onnxruntime-node is imported only when a model is loaded on it (onnx-engine.ts): it is an optional dependency,
 * and mapping its native library costs the agent ~30 MB of RSS, which the JS engine alone does not need.
 */
import { join } from 'node:path';
import { createAutoEngine, type Verdict } from './auto-engine.ts';
import { createChildVerifier } from './child-verifier.ts';
import type { InferConfig } from './config.ts';
import type { InferenceEngine } from './engine.ts';
import { createJsEngine } from './js-engine.ts';
import { createOnnxEngine } from './onnx-engine.ts';

/** onnxruntime-node, imported on first load (createOnnxEngine is lazy itself; kept for callers of this name). */
export function lazyOnnxEngine(): InferenceEngine {
  return createOnnxEngine();
}

/** Options: with `stateDir`, `auto` verifies a model that has no verdict for the JS engine once in a child process
 * and keeps the verdict in `<stateDir>/engine-verdicts.json` (the agent); without, it probes in this process
 * (tools, tests). `verify` replaces both (tests count its calls). */
export type EngineOptions = { stateDir?: string; verify?: (bytes: Uint8Array) => Promise<Verdict> };

/** Creates the engine for `choice`. */
export function createEngine(choice: InferConfig['engine'] = 'auto', options: EngineOptions = {}): InferenceEngine {
  switch (choice) {
    case 'auto': {
      const cacheFile = options.stateDir ? join(options.stateDir, 'engine-verdicts.json') : null;
      const verify = options.verify ?? (cacheFile ? createChildVerifier({ cacheFile }) : undefined);
      return createAutoEngine(createJsEngine(), createOnnxEngine(), verify ? { verify } : {});
    }
    case 'onnxruntime':
      return createOnnxEngine();
    case 'js':
      return createJsEngine();
  }
}
