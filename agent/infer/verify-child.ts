/**
 * The child process that checks the JS engine against onnxruntime on one model (child-verifier.ts):
 * `homeostat-agent __verify-model <model.onnx>` (a hidden subcommand of the agent's own entry, so it works the same
 * from the sources and from the compiled bundle) prints one JSON verdict `{agrees, note}` on stdout. It exists so
 * that onnxruntime's native library is mapped into this short-lived process, not the agent.
 */
import { readFile } from 'node:fs/promises';
import { probeInProcess } from './auto-engine.ts';
import { createJsEngine } from './js-engine.ts';
import { createOnnxEngine } from './onnx-engine.ts';

/** The agent entry's hidden subcommand that runs {@link runVerifyChild}. */
export const VERIFY_SUBCOMMAND = '__verify-model';

/** Probes the model at `path` and prints the verdict as one JSON line. */
export async function runVerifyChild(path: string): Promise<void> {
  // no warm-up: the probe's 64 steps only compare numbers
  const bytes = new Uint8Array(await readFile(path));
  const verdict = await probeInProcess(bytes, createJsEngine({ warmupMs: 0 }), createOnnxEngine());
  process.stdout.write(`${JSON.stringify(verdict)}\n`);
}
