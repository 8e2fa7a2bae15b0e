/**
 * Where the models shipped with the agent live: `$HOMEOSTAT_MODELS_DIR` when set; in the compiled bundle,
 * `models/` beside the bundle (agent/build.mjs copies them there and defines `__HOMEOSTAT_MODELS_URL__`); from
 * source, the repository's `models/` folder.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Replaced by a string literal at bundle time (esbuild `define`); undeclared when running from source.
declare const __HOMEOSTAT_MODELS_URL__: string | undefined;

/** Absolute path of the shipped models directory (with a trailing separator). */
export function shippedModelsDir(env: Record<string, string | undefined> = process.env): string {
  if (env.HOMEOSTAT_MODELS_DIR) return env.HOMEOSTAT_MODELS_DIR;
  const relative = typeof __HOMEOSTAT_MODELS_URL__ === 'string' ? __HOMEOSTAT_MODELS_URL__ : '../../models/';
  return fileURLToPath(new URL(relative, import.meta.url));
}

/** Paths of the models shipped with the agent, by kind (the control plane's composition roots read them too:
 * control-plane/compose/bundled-models.ts). */
export function shippedModelPaths(dir: string = shippedModelsDir()): { anomaly: string; disk: string } {
  return { anomaly: join(dir, 'anomaly/anomaly-multi.onnx'), disk: join(dir, 'disk/disk-failure.onnx') };
}
