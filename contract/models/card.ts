/**
 * Model cards: the JSON document shipped beside each `.onnx` file (`<name>.card.json`) saying what the model is,
 * what it consumes and produces, what it was fitted on, how good it measured, and the sha256 of the exact bytes.
 *
 * Usage: `writeModelCard('models/anomaly/anomaly-uni.onnx', bytes, { name, version, ... })` writes the .onnx and
 * its card together; `buildModelCard(bytes, fields)` returns the card without touching disk.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { z } from 'zod';

/** One tensor the model takes or returns. Dims: number = fixed, string = dynamic (symbolic) size. */
export const TensorSpecSchema = z.object({
  name: z.string().min(1),
  dtype: z.enum(['float32', 'int32', 'int64', 'bool']),
  shape: z.array(z.union([z.number().int().nonnegative(), z.string().min(1)])),
  description: z.string().optional(),
});
export type TensorSpec = z.infer<typeof TensorSpecSchema>;

/** Model card contents. `quality` holds measured figures (name -> number) plus how they were measured. */
export const ModelCardSchema = z.object({
  name: z.string().min(1),
  version: z.string().min(1),
  description: z.string(),
  inputs: z.array(TensorSpecSchema).min(1),
  outputs: z.array(TensorSpecSchema).min(1),
  featureSchemaVersion: z.string().min(1),
  fittedOn: z.object({ dataset: z.string(), details: z.string().optional() }),
  quality: z.object({ metrics: z.record(z.string(), z.number()), measuredWith: z.string() }),
  opset: z.number().int().min(17),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().positive(),
  createdAt: z.string(),
  extra: z.record(z.string(), z.unknown()).optional(),
});
export type ModelCard = z.infer<typeof ModelCardSchema>;

/** Hex sha256 of the model bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Builds and validates a card for `bytes`; `createdAt` defaults to now (inject it for reproducible output). */
export function buildModelCard(
  bytes: Uint8Array,
  fields: Omit<ModelCard, 'sha256' | 'bytes' | 'createdAt'> & { createdAt?: string },
): ModelCard {
  return ModelCardSchema.parse({
    ...fields,
    sha256: sha256Hex(bytes),
    bytes: bytes.length,
    createdAt: fields.createdAt ?? new Date().toISOString(),
  });
}

/** Writes `onnxPath` and `<onnxPath without .onnx>.card.json`; returns the card. */
export function writeModelCard(
  onnxPath: string,
  bytes: Uint8Array,
  fields: Parameters<typeof buildModelCard>[1],
): ModelCard {
  const card = buildModelCard(bytes, fields);
  writeFileSync(onnxPath, bytes);
  writeFileSync(onnxPath.replace(/\.onnx$/, '') + '.card.json', JSON.stringify(card, null, 2) + '\n');
  return card;
}
