/**
 * The agent's default inference engine: models run on the JS engine (js-engine.ts) once it has been shown to agree
 * with onnxruntime-node, the reference, on that model; otherwise, and for graphs the JS engine cannot run, on
 * onnxruntime. Agreement (`verify`) is a probe (probe.ts): both engines stepped on the same inputs, outputs fed back
 * as state, every output within 1e-5. By default the probe runs in this process; the agent runs it in a child process
 * once per model version (child-verifier.ts), so its own process never maps onnxruntime unless a model needs it.
 * The session's `engine` says which engine runs it, and `engineNote` why.
 */
import type { InferenceEngine, ModelSession } from './engine.ts';
import { PROBE_STEPS, probeAgreement } from './probe.ts';

/** Whether the fast engine may run a model, and why. */
export type Verdict = { agrees: boolean; note: string };

/** Options: `verify` decides agreement for model bytes (default: the probe, in this process, on `reference`). */
export type AutoEngineOptions = { verify?: (bytes: Uint8Array) => Promise<Verdict> };

/** Creates the engine from a fast engine and the reference it must agree with. */
export function createAutoEngine(fast: InferenceEngine, reference: InferenceEngine, options: AutoEngineOptions = {}): InferenceEngine {
  const verify = options.verify ?? ((bytes: Uint8Array) => probeInProcess(bytes, fast, reference));
  return {
    name: `auto(${fast.name}|${reference.name})`,
    async load(bytes: Uint8Array): Promise<ModelSession> {
      let candidate: ModelSession;
      try {
        candidate = await fast.load(bytes);
      } catch (err) {
        return { ...bind(await reference.load(bytes)), engine: reference.name, engineNote: `${fast.name} engine: ${(err as Error).message}` };
      }
      const verdict = await verify(bytes).catch((err: unknown): Verdict => ({ agrees: false, note: `verification failed: ${(err as Error).message}` }));
      if (!verdict.agrees) {
        await candidate.release();
        return { ...bind(await reference.load(bytes)), engine: reference.name, engineNote: verdict.note };
      }
      return withFallback(candidate, fast.name, verdict.note, () => reference.load(bytes), reference.name);
    },
  };
}

/**
 * The fast session, moving to the reference for good if a run fails there and succeeds on the reference: the probe
 * covers one input shape, and a new shape (the anomaly model's feature count) builds a new plan, which might meet what
 * the JS engine cannot do. A run that fails on both (bad input) changes nothing and throws the reference's error.
 */
function withFallback(fast: ModelSession, fastName: string, fastNote: string, loadReference: () => Promise<ModelSession>, referenceName: string): ModelSession {
  let current = fast;
  let engine = fastName;
  let note = fastNote;
  return {
    inputNames: fast.inputNames,
    outputNames: fast.outputNames,
    get engine() { return engine; },
    get engineNote() { return note; },
    async run(feeds) {
      if (current !== fast) return current.run(feeds);
      try {
        return await fast.run(feeds);
      } catch (err) {
        const reference = await loadReference();
        let out;
        try {
          out = await reference.run(feeds);
        } catch (refErr) {
          await reference.release();
          throw refErr;
        }
        current = reference;
        engine = referenceName;
        note = `${fastName} engine failed on a run (${(err as Error).message}); on ${referenceName} since`;
        await fast.release();
        return out;
      }
    },
    release: () => current.release(),
  };
}

function bind(s: ModelSession): ModelSession {
  return { inputNames: s.inputNames, outputNames: s.outputNames, run: (feeds) => s.run(feeds), release: () => s.release() };
}

/** The probe on both engines in this process. */
export async function probeInProcess(bytes: Uint8Array, fast: InferenceEngine, reference: InferenceEngine): Promise<Verdict> {
  const [a, b] = [await fast.load(bytes), await reference.load(bytes)];
  try {
    const disagreement = await probeAgreement(bytes, a, b).catch((err: unknown) => `probe failed: ${(err as Error).message}`);
    return disagreement
      ? { agrees: false, note: `${fast.name} engine disagrees with ${reference.name}: ${disagreement}` }
      : { agrees: true, note: `agrees with ${reference.name} on ${PROBE_STEPS} probe steps` };
  } finally {
    await a.release();
    await b.release();
  }
}
