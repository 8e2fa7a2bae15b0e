/**
 * Verdicts of the models shipped with the agent (agent/infer/inference.ts SHIPPED_MODELS): the JS engine checked
 * against onnxruntime on each, as the control plane checks a registered model (model-verifier.ts), written beside the
 * model as `<stem>.verdict.json`; the agent's auto engine then runs it on the JS engine with no child process and no
 * onnxruntime on the host. shipped-verdicts.test.ts recomputes them, so a model or engine change without new
 * verdicts fails. Run after exporting a model or bumping JS_ENGINE_ID:
 *
 *   node --import tsx control-plane/compose/shipped-verdicts.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineVerdict } from '../../contract/models/verdict.ts';
import { SHIPPED_MODELS } from '../../agent/infer/inference.ts';
import { verdictPathFor } from '../../agent/infer/model-file.ts';
import { createModelVerifier } from './model-verifier.ts';

/** Computes the verdict of the model at `onnxPath`. @throws Error when onnxruntime-node is not installed. */
export async function shippedVerdict(onnxPath: string, now: () => number = Date.now): Promise<EngineVerdict> {
  const v = await createModelVerifier({ now }).verify(new Uint8Array(readFileSync(onnxPath)));
  if ('unverified' in v) throw new Error(`${onnxPath}: ${v.unverified}`);
  return v.verdict;
}

/** Writes the verdict of every shipped model; returns their paths. */
export async function writeShippedVerdicts(): Promise<string[]> {
  const written: string[] = [];
  for (const onnx of Object.values(SHIPPED_MODELS)) {
    const verdict = await shippedVerdict(onnx);
    if (!verdict.agreed) throw new Error(`${onnx}: the JS engine does not agree with onnxruntime: ${verdict.note}`);
    writeFileSync(verdictPathFor(onnx), `${JSON.stringify(verdict, null, 2)}\n`);
    written.push(verdictPathFor(onnx));
  }
  return written;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const path of await writeShippedVerdicts()) process.stdout.write(`wrote ${path}\n`);
}
