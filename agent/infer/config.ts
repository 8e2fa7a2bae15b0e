/**
 * The agent config's `infer` section. `engine` picks what runs the models:
 * - `auto` (default): the JS engine for every model it runs and that agrees with onnxruntime on a probe at load
 *   (auto-engine.ts), onnxruntime for the rest;
 * - `onnxruntime`: onnxruntime-node only;
 * - `js`: the JS engine only (a model it cannot run fails to load, and the last good one stays).
 */
import { z } from 'zod';

export const INFER_ENGINES = ['auto', 'onnxruntime', 'js'] as const;

/** Section schema; `{}` is valid (engine `auto`). */
export const inferConfigSchema = z.strictObject({
  engine: z.enum(INFER_ENGINES).default('auto'),
});

export type InferConfig = z.infer<typeof inferConfigSchema>;
