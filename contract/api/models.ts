/** Registered model artifacts as the HTTP API returns them (`/api/models…`). */
import { z } from 'zod';
import { EngineVerdictSchema } from '../models/verdict.ts';
import { IsoTime } from './common.ts';

/** A model artifact `<name>@<version>` with its card. */
export const Model = z.object({
  id: z.string(),
  name: z.string(),
  version: z.string(),
  sha256: z.string(),
  bytes: z.number().int().nonnegative(),
  featureSchemaVersion: z.string(),
  card: z.record(z.string(), z.unknown()),
  uploadedBy: z.string(),
  createdAt: IsoTime,
  /** The agents' JS engine checked against onnxruntime at registration (signed into the manifest), or why not. */
  verdict: EngineVerdictSchema.optional(),
  unverified: z.string().optional(),
});
export type Model = z.infer<typeof Model>;

/** A model bundled with the agent that the control plane registers when a rollout first sends it (a rollback to the
 * version the hosts ran before their first model rollout). */
export const BundledModel = z.object({
  id: z.string(),
  bytes: z.number().int().nonnegative(),
  registered: z.boolean(),
});
export type BundledModel = z.infer<typeof BundledModel>;

/** `GET /api/models`: the registry, and the bundled models this control plane can register. */
export const ModelList = z.object({ models: z.array(Model), bundled: z.array(BundledModel) });
export type ModelList = z.infer<typeof ModelList>;
