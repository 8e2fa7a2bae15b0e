/**
 * Reading a shipped or downloaded model from disk: the `.onnx` bytes and their card, with the bytes' sha256
 * checked against the card before anything is loaded.
 */
import { readFile } from 'node:fs/promises';
import { ModelCardSchema, sha256Hex, type ModelCard } from '../../contract/models/card.ts';
import { ModelError } from '../../contract/errors.ts';

/** A model's verified bytes and card, and the verdict beside it when there is one (`<stem>.verdict.json`: the JS
 * engine's agreement with onnxruntime, contract/models/verdict.ts; parsed and checked by the engine that uses it). */
export type ModelFile = { card: ModelCard; bytes: Uint8Array; path: string; verdict?: unknown };

/** Path of the card beside an `.onnx` file (`x.onnx` → `x.card.json`), or the card path itself. */
export function cardPathFor(path: string): string {
  return path.endsWith('.card.json') ? path : path.replace(/\.onnx$/, '') + '.card.json';
}

/** Path of the verdict beside an `.onnx` file (`x.onnx` → `x.verdict.json`). */
export function verdictPathFor(onnxPath: string): string {
  return onnxPath.replace(/\.onnx$/, '') + '.verdict.json';
}

/**
 * Reads `path` (an .onnx file or its .card.json) and verifies the sha256 and size of the bytes against the card.
 * @throws ModelError naming the model and what did not match.
 */
export async function readModelFile(path: string): Promise<ModelFile> {
  const cardPath = cardPathFor(path);
  const onnxPath = cardPath.replace(/\.card\.json$/, '.onnx');
  let card: ModelCard;
  try {
    card = ModelCardSchema.parse(JSON.parse(await readFile(cardPath, 'utf8')));
  } catch (err) {
    throw new ModelError(cardPath, `card unreadable or invalid: ${(err as Error).message}`);
  }
  const bytes = new Uint8Array(await readFile(onnxPath));
  verifyModelBytes(card, bytes);
  const verdict = await readFile(verdictPathFor(onnxPath), 'utf8')
    .then((t) => JSON.parse(t) as unknown)
    .catch(() => undefined);
  return { card, bytes, path: onnxPath, ...(verdict === undefined ? {} : { verdict }) };
}

/** Checks bytes against the card's sha256 and size. @throws ModelError */
export function verifyModelBytes(card: ModelCard, bytes: Uint8Array): void {
  const actual = sha256Hex(bytes);
  if (actual !== card.sha256)
    throw new ModelError(card.name, `sha256 mismatch: card says ${card.sha256}, file is ${actual}`);
  if (bytes.length !== card.bytes)
    throw new ModelError(card.name, `size mismatch: card says ${card.bytes} bytes, file has ${bytes.length}`);
}

/** `name@version`, how telemetry and state messages name a model. */
export function modelLabel(card: ModelCard): string {
  return `${card.name}@${card.version}`;
}
