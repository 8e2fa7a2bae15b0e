/**
 * The agent's default inference engine: models run on the JS engine (js-engine.ts) once it has been shown to agree
 * with onnxruntime-node, the reference, on that model; otherwise, and for graphs the JS engine cannot run, on
 * onnxruntime. Agreement (`verify`) is a probe (probe.ts): both engines stepped on the same inputs, outputs fed back
 * as state, every output within 1e-5. By default the probe runs in this process; the agent runs it in a child process
 * once per model version (child-verifier.ts), so its own process never maps onnxruntime unless a model needs it.
 * A model that comes with a verdict for the fast engine's build (`load(bytes, { verdict })`: signed by the control
 * plane, or shipped beside the model; contract/models/verdict.ts) is not probed again: an agreeing verdict runs it on
 * the fast engine, a disagreeing one on the reference. A verdict for another build, or none, means `verify`.
 * The session's `engine` says which engine runs it, and `engineNote` why.
 */
import { sha256Hex } from '../../contract/models/card.ts';
import { ModelError } from '../../contract/errors.ts';
import { EngineVerdictSchema } from '../../contract/models/verdict.ts';
import type { InferenceEngine, LoadOptions, ModelSession } from './engine.ts';
import { PROBE_STEPS, probeModel, type ProbeResult } from './probe.ts';

/** Whether the fast engine may run a model, and why. */
export type Verdict = { agrees: boolean; note: string };

/** A verdict that may be trusted for these bytes and this fast engine: the parsed verdict, or why it does not apply. */
function applicable(verdict: unknown, fast: InferenceEngine, bytes: Uint8Array): Verdict | null {
  if (verdict === undefined || !fast.id) return null;
  const v = EngineVerdictSchema.safeParse(verdict);
  if (!v.success || v.data.engineId !== fast.id || v.data.sha256 !== sha256Hex(bytes)) return null;
  const when = `verdict of ${v.data.verifiedAt} for ${v.data.engineId}`;
  return { agrees: v.data.agreed, note: `${v.data.note} (${when})` };
}

/** Options: `verify` decides agreement for model bytes (default: the probe, in this process, on `reference`). */
export type AutoEngineOptions = { verify?: (bytes: Uint8Array) => Promise<Verdict> };

/** Creates the engine from a fast engine and the reference it must agree with. */
export function createAutoEngine(
  fast: InferenceEngine,
  reference: InferenceEngine,
  options: AutoEngineOptions = {},
): InferenceEngine {
  const verify = options.verify ?? ((bytes: Uint8Array) => probeInProcess(bytes, fast, reference));
  return {
    name: `auto(${fast.name}|${reference.name})`,
    async load(bytes: Uint8Array, options: LoadOptions = {}): Promise<ModelSession> {
      /** On the reference, saying why; when the reference cannot load it either, a ModelError saying both. */
      const onReference = async (why: string): Promise<ModelSession> => {
        let session: ModelSession;
        try {
          session = await reference.load(bytes);
        } catch (err) {
          throw new ModelError('(auto engine)', `${why}; ${reference.name}: ${(err as Error).message}`);
        }
        return { ...bind(session), engine: reference.name, engineNote: why };
      };
      let candidate: ModelSession;
      try {
        candidate = await fast.load(bytes);
      } catch (err) {
        return onReference(`${fast.name} engine: ${(err as Error).message}`);
      }
      const failed = (err: unknown): Verdict => ({
        agrees: false,
        note: `verification failed: ${(err as Error).message}`,
      });
      const verdict = applicable(options.verdict, fast, bytes) ?? (await verify(bytes).catch(failed));
      if (!verdict.agrees) {
        await candidate.release();
        return onReference(verdict.note);
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
function withFallback(
  fast: ModelSession,
  fastName: string,
  fastNote: string,
  loadReference: () => Promise<ModelSession>,
  referenceName: string,
): ModelSession {
  let current = fast;
  let engine = fastName;
  let note = fastNote;
  return {
    inputNames: fast.inputNames,
    outputNames: fast.outputNames,
    get engine() {
      return engine;
    },
    get engineNote() {
      return note;
    },
    prepare: (dims, options) => current.prepare?.(dims, options),
    // not an async function: its frame and an await per call were a third of what a run allocated (issue 12)
    run(feeds) {
      if (current !== fast) return current.run(feeds);
      try {
        return fast.run(feeds).catch((err: unknown) => moveToReference(err, feeds));
      } catch (err) {
        return moveToReference(err, feeds);
      }
    },
    release: () => current.release(),
  };

  /** After a failed run on the fast engine: the same run on the reference, which runs the model from then on. */
  async function moveToReference(err: unknown, feeds: Parameters<ModelSession['run']>[0]) {
    // no reference to move to (onnxruntime not installed): the fast engine's error stands
    const reference = await loadReference().catch(() => {
      throw err;
    });
    let out: Awaited<ReturnType<typeof reference.run>>;
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
}

function bind(s: ModelSession): ModelSession {
  return {
    inputNames: s.inputNames,
    outputNames: s.outputNames,
    run: (feeds) => s.run(feeds),
    release: () => s.release(),
  };
}

/** The probe on both engines in this process. */
export async function probeInProcess(
  bytes: Uint8Array,
  fast: InferenceEngine,
  reference: InferenceEngine,
): Promise<Verdict> {
  const { agrees, note } = await probeVerdict(bytes, fast, reference);
  return { agrees, note };
}

/** The probe on both engines in this process, with what it measured (the control plane's verdicts record it). */
export async function probeVerdict(
  bytes: Uint8Array,
  fast: InferenceEngine,
  reference: InferenceEngine,
): Promise<Verdict & Omit<ProbeResult, 'disagreement'>> {
  const [a, b] = [await fast.load(bytes), await reference.load(bytes)];
  try {
    const failed = (err: unknown): ProbeResult => ({
      disagreement: `probe failed: ${(err as Error).message}`,
      maxAbsDiff: null,
      steps: 0,
    });
    const r = await probeModel(bytes, a, b).catch(failed);
    const measured = { maxAbsDiff: r.maxAbsDiff, steps: r.steps };
    return r.disagreement
      ? { agrees: false, note: `${fast.name} engine disagrees with ${reference.name}: ${r.disagreement}`, ...measured }
      : { agrees: true, note: `agrees with ${reference.name} on ${PROBE_STEPS} probe steps`, ...measured };
  } finally {
    await a.release();
    await b.release();
  }
}
