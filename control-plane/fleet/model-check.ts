/**
 * Checks an uploaded model against its card before it may enter the registry: the card validates (models/onnx/card.ts),
 * size and sha256 match the bytes, the feature-schema version is one the agents speak, and onnxruntime can load the
 * graph with exactly the card's inputs/outputs (names, dtypes, fixed dims; symbolic dims match any symbolic dim).
 */
import ort from 'onnxruntime-node';
import { ModelCardSchema, sha256Hex, type ModelCard, type TensorSpec } from '../../contract/models/card.ts';
import { FEATURE_SCHEMA_VERSION } from '../../contract/features/schema.ts';
import { FEATURE_SCHEMA_VERSION as DISK_FEATURE_SCHEMA_VERSION } from '../../contract/models/disk/features.ts';
import { ValidationError, zodIssues } from '../../contract/errors.ts';

/** Feature-schema versions agents of this release understand. */
export const KNOWN_FEATURE_SCHEMAS = [FEATURE_SCHEMA_VERSION, DISK_FEATURE_SCHEMA_VERSION, 'univariate'];

/** Validates `card` against `bytes` and the ONNX graph; returns the parsed card or throws ValidationError listing every issue. */
export async function checkModel(bytes: Uint8Array, cardInput: unknown, featureSchemas: readonly string[] = KNOWN_FEATURE_SCHEMAS): Promise<ModelCard> {
  const parsed = ModelCardSchema.safeParse(cardInput);
  if (!parsed.success) throw new ValidationError(zodIssues(parsed.error), 'model card');
  const card = parsed.data;
  const issues: { path: string; message: string }[] = [];
  if (!/^[A-Za-z0-9._-]+$/.test(card.name)) issues.push({ path: 'name', message: `'${card.name}' may only use letters, digits and . _ -` });
  if (!/^[A-Za-z0-9._-]+$/.test(card.version)) issues.push({ path: 'version', message: `'${card.version}' may only use letters, digits and . _ -` });
  if (card.bytes !== bytes.length) issues.push({ path: 'bytes', message: `card says ${card.bytes}, file has ${bytes.length}` });
  const sha = sha256Hex(bytes);
  if (card.sha256 !== sha) issues.push({ path: 'sha256', message: `card says ${card.sha256}, file hashes to ${sha}` });
  if (!featureSchemas.includes(card.featureSchemaVersion)) issues.push({ path: 'featureSchemaVersion', message: `'${card.featureSchemaVersion}' is not one of ${featureSchemas.join(', ')}` });
  let session: ort.InferenceSession | null = null;
  try {
    session = await ort.InferenceSession.create(bytes);
  } catch (err) {
    issues.push({ path: 'file', message: `onnxruntime cannot load it: ${(err as Error).message.split('\n')[0]}` });
  }
  if (session) {
    compare('inputs', card.inputs, session.inputNames, (session as unknown as { inputMetadata?: Meta[] }).inputMetadata, issues);
    compare('outputs', card.outputs, session.outputNames, (session as unknown as { outputMetadata?: Meta[] }).outputMetadata, issues);
    await session.release();
  }
  if (issues.length) throw new ValidationError(issues, 'model');
  return card;
}

type Meta = { name: string; isTensor: boolean; type?: string; shape?: (number | string)[] };

function compare(what: 'inputs' | 'outputs', specs: TensorSpec[], names: readonly string[], meta: Meta[] | undefined, issues: { path: string; message: string }[]): void {
  const cardNames = specs.map((s) => s.name);
  if (cardNames.join('\0') !== names.join('\0')) {
    issues.push({ path: what, message: `card lists [${cardNames.join(', ')}], graph has [${names.join(', ')}]` });
    return;
  }
  specs.forEach((s, i) => {
    const m = meta?.find((x) => x.name === s.name);
    if (!m) return;
    if (m.type && m.type !== s.dtype) issues.push({ path: `${what}.${i}.dtype`, message: `card says ${s.dtype}, graph has ${m.type}` });
    const shape = m.shape ?? [];
    const same = shape.length === s.shape.length && shape.every((d, j) => (typeof d === 'number' && d >= 0 ? d === s.shape[j] : typeof s.shape[j] === 'string'));
    if (!same) issues.push({ path: `${what}.${i}.shape`, message: `card says [${s.shape.join(', ')}], graph has [${shape.join(', ')}]` });
  });
}
