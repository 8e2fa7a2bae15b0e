/**
 * Engine verdicts: whether an inference engine other than onnxruntime (today the agent's JS engine) computes the
 * same outputs as onnxruntime-node on a model, measured on a stateful probe (agent/infer/probe.ts). The control plane
 * reaches one when a model is registered and signs it into the model manifest (signing/bundle.ts); models shipped
 * with the agent carry one in `<model>.verdict.json` beside the `.onnx` file. An agent runs a model on its JS engine
 * without checking again only when the verdict agrees, names its own engine (`engineId`) and the model's sha256.
 */
import { z } from 'zod';

/** A verdict on one model for one engine build. `maxAbsDiff` is the largest |fast - reference| seen on the probe. */
export const EngineVerdictSchema = z.strictObject({
  engine: z.literal('js'),
  engineId: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  agreed: z.boolean(),
  maxAbsDiff: z.number().nonnegative().nullable(),
  steps: z.number().int().nonnegative(),
  reference: z.string().min(1),
  note: z.string(),
  verifiedAt: z.string(),
});
export type EngineVerdict = z.infer<typeof EngineVerdictSchema>;
