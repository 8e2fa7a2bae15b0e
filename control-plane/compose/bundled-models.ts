/**
 * The models bundled with the agent, as the control plane registers them on demand (model-registry.ts): the agent's
 * shipped ONNX files and the cards beside them (agent/infer/models-dir.ts), read once and kept (a few tens of KB).
 * A composition root: the only place the control plane learns where the agent's models live.
 */
import { readFile } from 'node:fs/promises';
import { shippedModelPaths } from '../../agent/infer/models-dir.ts';
import type { BundledModel, BundledModels } from '../fleet/model-registry.ts';

/** Reads `<stem>.onnx` and `<stem>.card.json`; null when either is missing or the card has no name and version. */
async function readBundled(onnxPath: string): Promise<BundledModel | null> {
  try {
    const [onnx, cardText] = await Promise.all([
      readFile(onnxPath),
      readFile(onnxPath.replace(/\.onnx$/, '.card.json'), 'utf8'),
    ]);
    const card: unknown = JSON.parse(cardText);
    if (typeof card !== 'object' || card === null || !('name' in card) || !('version' in card)) return null;
    return { id: `${String(card.name)}@${String(card.version)}`, onnx: new Uint8Array(onnx), card };
  } catch {
    return null; // a checkout without models: nothing bundled to offer
  }
}

/** Creates the source of the models at `paths` (default: the agent's shipped models). */
export function createBundledModels(paths: readonly string[] = Object.values(shippedModelPaths())): BundledModels {
  let loaded: Promise<BundledModel[]> | null = null;
  return {
    list() {
      loaded ??= Promise.all(paths.map(readBundled)).then((all) => all.filter((m) => m !== null));
      return loaded;
    },
  };
}
