/**
 * Entry of the child process that checks the JS engine against onnxruntime on one model (child-verifier.ts):
 * `node --import tsx agent/infer/verify-child.ts <model.onnx>` prints one JSON verdict `{agrees, note}` on stdout.
 * It exists so that onnxruntime's native library is mapped into this short-lived process, not the agent.
 */
import { readFile } from 'node:fs/promises';
import { probeInProcess } from './auto-engine.ts';
import { createJsEngine } from './js-engine.ts';
import { createOnnxEngine } from './onnx-engine.ts';

const path = process.argv[2];
if (!path) {
  console.error('usage: verify-child.ts <model.onnx>');
  process.exit(2);
}
const verdict = await probeInProcess(new Uint8Array(await readFile(path)), createJsEngine(), createOnnxEngine());
process.stdout.write(`${JSON.stringify(verdict)}\n`);
