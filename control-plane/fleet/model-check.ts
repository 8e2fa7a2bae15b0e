/**
 * Checks an uploaded model against its card before it may enter the registry: the card validates (models/onnx/card.ts),
 * size and sha256 match the bytes, the feature-schema version is one the agents speak, and onnxruntime can load the
 * graph with exactly the card's inputs/outputs (names, dtypes, fixed dims; symbolic dims match any symbolic dim).
 * onnxruntime-node is an optional dependency, imported when a model is checked: without it the graph check is skipped
 * and the model is registered "unverified" (model-registry.ts says so).
 *
 * Also the `ModelVerifier` port: what the registry asks, once per model, whether the agent's JS engine agrees with
 * onnxruntime on it (implemented in control-plane/compose/model-verifier.ts, which may import the agent's engine).
 */
import type * as Ort from 'onnxruntime-node';
import type { EngineVerdict } from '../../contract/models/verdict.ts';
import { ModelCardSchema, sha256Hex, type ModelCard, type TensorSpec } from '../../contract/models/card.ts';
import { KNOWN_FEATURE_SCHEMAS } from '../../contract/models/feature-schemas.ts';
import { ValidationError, zodIssues } from '../../contract/errors.ts';

/** A model's verification: the verdict reached, or why there is none (`unverified`). */
export type ModelVerification = { verdict: EngineVerdict } | { unverified: string };

/** Verifies the agents' JS engine against onnxruntime on model bytes (already checked by {@link checkModel}). */
export interface ModelVerifier {
  verify(bytes: Uint8Array): Promise<ModelVerification>;
}

/** onnxruntime-node, or null when it is not installed. */
async function optionalOrt(): Promise<typeof Ort | null> {
  try {
    const m = (await import('onnxruntime-node')) as typeof Ort & { default?: typeof Ort };
    return m.InferenceSession ? m : (m.default ?? null);
  } catch {
    return null;
  }
}

/** Validates `card` against `bytes` and the ONNX graph; returns the parsed card or throws ValidationError listing every issue. */
export async function checkModel(
  bytes: Uint8Array,
  cardInput: unknown,
  featureSchemas: readonly string[] = KNOWN_FEATURE_SCHEMAS,
): Promise<ModelCard> {
  const parsed = ModelCardSchema.safeParse(cardInput);
  if (!parsed.success) throw new ValidationError(zodIssues(parsed.error), 'model card');
  const card = parsed.data;
  const issues: { path: string; message: string }[] = [];
  if (!/^[A-Za-z0-9._-]+$/.test(card.name))
    issues.push({ path: 'name', message: `'${card.name}' may only use letters, digits and . _ -` });
  if (!/^[A-Za-z0-9._-]+$/.test(card.version))
    issues.push({ path: 'version', message: `'${card.version}' may only use letters, digits and . _ -` });
  if (card.bytes !== bytes.length)
    issues.push({ path: 'bytes', message: `card says ${card.bytes}, file has ${bytes.length}` });
  const sha = sha256Hex(bytes);
  if (card.sha256 !== sha) issues.push({ path: 'sha256', message: `card says ${card.sha256}, file hashes to ${sha}` });
  if (!featureSchemas.includes(card.featureSchemaVersion))
    issues.push({
      path: 'featureSchemaVersion',
      message: `'${card.featureSchemaVersion}' is not one of ${featureSchemas.join(', ')}`,
    });
  const ort = await optionalOrt();
  let session: Ort.InferenceSession | null = null;
  try {
    session = ort ? await ort.InferenceSession.create(bytes) : null;
  } catch (err) {
    issues.push({ path: 'file', message: `onnxruntime cannot load it: ${(err as Error).message.split('\n')[0]}` });
  }
  if (session) {
    compare('inputs', card.inputs, session.inputNames, session.inputMetadata, issues);
    compare('outputs', card.outputs, session.outputNames, session.outputMetadata, issues);
    await session.release();
  }
  if (issues.length) throw new ValidationError(issues, 'model');
  return card;
}

type Meta = Ort.InferenceSession.ValueMetadata;

function compare(
  what: 'inputs' | 'outputs',
  specs: TensorSpec[],
  names: readonly string[],
  meta: readonly Meta[] | undefined,
  issues: { path: string; message: string }[],
): void {
  const cardNames = specs.map((s) => s.name);
  if (cardNames.join('\0') !== names.join('\0')) {
    issues.push({ path: what, message: `card lists [${cardNames.join(', ')}], graph has [${names.join(', ')}]` });
    return;
  }
  specs.forEach((s, i) => {
    // `meta?.`: older onnxruntime builds have no metadata at run time although the types declare it.
    const m = meta?.find((x) => x.name === s.name);
    if (!m) return;
    const type = m.isTensor ? m.type : undefined;
    if (type && type !== s.dtype)
      issues.push({ path: `${what}.${i}.dtype`, message: `card says ${s.dtype}, graph has ${type}` });
    const shape = m.isTensor ? (m.shape ?? []) : [];
    const same =
      shape.length === s.shape.length &&
      shape.every((d, j) => (typeof d === 'number' && d >= 0 ? d === s.shape[j] : typeof s.shape[j] === 'string'));
    if (!same)
      issues.push({
        path: `${what}.${i}.shape`,
        message: `card says [${s.shape.join(', ')}], graph has [${shape.join(', ')}]`,
      });
  });
}
