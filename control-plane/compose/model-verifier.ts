/**
 * The control plane's `ModelVerifier` (control-plane/fleet/model-check.ts): runs the agents' own JS engine
 * (agent/infer/js-engine.ts, build `JS_ENGINE_ID`) against onnxruntime-node on the stateful probe the agents would
 * run (agent/infer/probe.ts), once per registered model, and returns the verdict the registry signs into the model
 * manifest. A composition root: the only place of the control plane that imports the agent's engine.
 * onnxruntime-node is optional here too: without it the model is "unverified", and agents verify it themselves.
 */
import { sha256Hex } from '../../contract/models/card.ts';
import type { EngineVerdict } from '../../contract/models/verdict.ts';
import { probeVerdict } from '../../agent/infer/auto-engine.ts';
import { createJsEngine, JS_ENGINE_ID } from '../../agent/infer/js-engine.ts';
import { createOnnxEngine, onnxRuntimeVersion } from '../../agent/infer/onnx-engine.ts';
import type { ModelVerification, ModelVerifier } from '../fleet/model-check.ts';

/** Options: `now` stamps `verifiedAt` (default Date.now). */
export type ModelVerifierOptions = { now?: () => number };

/** Creates the verifier. */
export function createModelVerifier(options: ModelVerifierOptions = {}): ModelVerifier {
  const now = options.now ?? Date.now;
  return {
    async verify(bytes: Uint8Array): Promise<ModelVerification> {
      const version = onnxRuntimeVersion();
      if (!version) return { unverified: 'onnxruntime-node is not installed on the control plane' };
      // no warm-up: the probe compares numbers, its speed does not matter
      const js = createJsEngine({ warmupMs: 0 });
      try {
        await js.load(bytes);
      } catch (err) {
        const note = `js engine cannot run it: ${(err as Error).message}`;
        return { verdict: verdict(bytes, false, note, null, 0, version, now) };
      }
      const r = await probeVerdict(bytes, js, createOnnxEngine());
      return { verdict: verdict(bytes, r.agrees, r.note, r.maxAbsDiff, r.steps, version, now) };
    },
  };
}

function verdict(
  bytes: Uint8Array,
  agreed: boolean,
  note: string,
  maxAbsDiff: number | null,
  steps: number,
  ortVersion: string,
  now: () => number,
): EngineVerdict {
  return {
    engine: 'js',
    engineId: JS_ENGINE_ID,
    sha256: sha256Hex(bytes),
    agreed,
    maxAbsDiff,
    steps,
    reference: `onnxruntime-node@${ortVersion}`,
    note,
    verifiedAt: new Date(now()).toISOString(),
  };
}
