/**
 * The model registry: uploaded models are checked (model-check.ts), stored in the data dir under their sha256, and
 * recorded with their card. Artifact id = `<name>@<version>`; it is also the version label rollouts use.
 *
 * At registration the `ModelVerifier` (model-check.ts; wired by the composition roots) checks the agents' JS engine
 * against onnxruntime on the model, once. Its verdict (or why there is none: "unverified") is kept beside the file
 * (`<sha256>.verdict.json`, parsed with the contract's schema on read) and signed into every model manifest, so an
 * agent runs the model on its JS engine without verifying it again (docs/models.md).
 *
 * The models bundled with the agent (`BundledModels`, from the composition roots) are registered on demand, checked
 * and verified like an upload, the first time a rollout sends one: a rollback to the version the hosts ran before
 * their first model rollout needs no upload.
 */
import { mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { z } from 'zod';
import { EngineVerdictSchema, type EngineVerdict } from '../../contract/models/verdict.ts';
import { join } from 'node:path';
import { ConflictError, NotFoundError } from '../../contract/errors.ts';
import type { Command } from '../../contract/protocol/index.ts';
import { modelCommand } from '../../contract/signing/bundle.ts';
import type { FleetContext } from './context.ts';
import { checkModel, type ModelVerification, type ModelVerifier } from './model-check.ts';
import type { ModelRecord } from '../repositories/model-repository.ts';

/** A registry entry as the API shows it. */
export interface ModelView {
  id: string;
  name: string;
  version: string;
  sha256: string;
  bytes: number;
  featureSchemaVersion: string;
  card: Record<string, unknown>;
  uploadedBy: string;
  createdAt: string;
  /** The JS engine's verdict signed into the manifest, or why the model is unverified. */
  verdict?: EngineVerdict;
  unverified?: string;
}

/** A model bundled with the agent: its files as shipped beside this control plane. */
export interface BundledModel {
  /** `<name>@<version>` from its card. */
  id: string;
  onnx: Uint8Array;
  card: unknown;
}

/** The models bundled with the agent that this control plane can register (control-plane/compose/bundled-models.ts). */
export interface BundledModels {
  list(): Promise<BundledModel[]>;
}

const VerificationSchema = z.union([
  z.strictObject({ verdict: EngineVerdictSchema }),
  z.strictObject({ unverified: z.string() }),
]);
const verificationPath = (modelPath: string): string => modelPath.replace(/\.onnx$/, '') + '.verdict.json';

/** The stored verification of a model file; "unverified" when absent or unreadable. */
function readVerification(modelPath: string): ModelVerification {
  try {
    return VerificationSchema.parse(JSON.parse(readFileSync(verificationPath(modelPath), 'utf8')));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'registered before verification existed' : `verdict unreadable: ${(err as Error).message}`;
    return { unverified: why };
  }
}

/** Creates the registry. Without `verifier`, models are registered "unverified" (agents verify them themselves). */
export function createModelRegistry(
  ctx: FleetContext,
  featureSchemas?: readonly string[],
  verifier?: ModelVerifier,
  bundled?: BundledModels,
) {
  const repo = ctx.repos.models;
  const view = (r: ModelRecord): ModelView => ({
    id: r.id,
    name: r.name,
    version: r.version,
    sha256: r.sha256,
    bytes: r.bytes,
    featureSchemaVersion: r.featureSchemaVersion,
    card: r.card,
    uploadedBy: r.uploadedBy,
    createdAt: r.createdAt.toISOString(),
    ...readVerification(r.path),
  });
  const verify = async (bytes: Uint8Array): Promise<ModelVerification> => {
    if (!verifier) return { unverified: 'no model verifier on this control plane' };
    const failed = (err: unknown) => ({ unverified: `verification failed: ${(err as Error).message}` });
    return verifier.verify(bytes).catch(failed);
  };
  const find = async (id: string) => {
    const r = await repo.get(id);
    if (!r) throw new NotFoundError('model', id);
    return r;
  };
  const register = async (bytes: Uint8Array, card: unknown, actor: string, actorType: 'user' | 'system') => {
    const c = await checkModel(bytes, card, featureSchemas);
    const id = `${c.name}@${c.version}`;
    if (await repo.get(id)) throw new ConflictError(`model '${id}' exists; bump the card version`, 'exists');
    mkdirSync(ctx.modelDir, { recursive: true, mode: 0o700 });
    const path = join(ctx.modelDir, `${c.sha256}.onnx`);
    writeFileSync(`${path}.tmp`, bytes, { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
    const verification = await verify(bytes);
    writeFileSync(`${verificationPath(path)}.tmp`, JSON.stringify(verification), { mode: 0o600 });
    renameSync(`${verificationPath(path)}.tmp`, verificationPath(path));
    const row = await repo.create({
      id,
      name: c.name,
      version: c.version,
      sha256: c.sha256,
      bytes: c.bytes,
      featureSchemaVersion: c.featureSchemaVersion,
      card: c,
      path,
      uploadedBy: actor,
      createdAt: new Date(ctx.now()),
    });
    await ctx.audit.record({
      actor: actorType === 'user' ? `user:${actor}` : actor,
      actorType,
      action: actorType === 'user' ? 'model.uploaded' : 'model.registered-bundled',
      target: id,
      detail: { sha256: c.sha256, bytes: c.bytes, ...verificationDetail(verification) },
    });
    return row;
  };
  /** The bundled model `id`, if this control plane has it. */
  const bundledModel = async (id: string) => (await bundled?.list())?.find((m) => m.id === id) ?? null;
  /** The registered record of `id`; a bundled model is registered now (by `system:bundled`). */
  const findOrRegister = async (id: string) => {
    const r = await repo.get(id);
    if (r) return r;
    const b = await bundledModel(id);
    if (!b) throw new NotFoundError('model', id);
    try {
      return await register(b.onnx, b.card, 'system:bundled', 'system');
    } catch (err) {
      // Two sends at once: the other registered it first.
      const raced = err instanceof ConflictError ? await repo.get(id) : null;
      if (raced) return raced;
      throw err;
    }
  };
  return {
    async upload(bytes: Uint8Array, card: unknown, actor: string): Promise<ModelView> {
      return view(await register(bytes, card, actor, 'user'));
    },
    /** The models bundled with the agent that can be registered on demand (ids, sizes, hashes). */
    async bundled(): Promise<{ id: string; bytes: number; registered: boolean }[]> {
      const out = [];
      for (const m of (await bundled?.list()) ?? [])
        out.push({ id: m.id, bytes: m.onnx.byteLength, registered: (await repo.get(m.id)) !== null });
      return out;
    },
    /** Whether `id` can be sent: registered, or bundled with this control plane (registered when first sent). */
    async available(id: string): Promise<boolean> {
      return (await repo.get(id)) !== null || (await bundledModel(id)) !== null;
    },
    async list(): Promise<ModelView[]> {
      return (await repo.list()).map(view);
    },
    async get(id: string): Promise<ModelView> {
      return view(await find(id));
    },
    /** Whether `id` (`<name>@<version>`) is registered. */
    async has(id: string): Promise<boolean> {
      return (await repo.get(id)) !== null;
    },
    /** The file bytes (after re-checking the stored hash). */
    async file(id: string): Promise<Buffer> {
      const r = await find(id);
      return readFileSync(r.path);
    },
    /** The signed `model` command for an artifact; a model bundled with the agent is registered first. */
    async command(id: string): Promise<Command> {
      const r = await findOrRegister(id);
      const v = readVerification(r.path);
      const verdict = 'verdict' in v && v.verdict.sha256 === r.sha256 ? { verdict: v.verdict } : {};
      return modelCommand(
        {
          modelId: r.id,
          name: r.name,
          version: r.version,
          sha256: r.sha256,
          bytes: r.bytes,
          url: `/api/models/${encodeURIComponent(r.id)}/file`,
          featureSchemaVersion: r.featureSchemaVersion,
          issuedAt: ctx.now(),
          card: r.card,
          ...verdict,
        },
        ctx.signingKey,
      );
    },
  };
}
export type ModelRegistry = ReturnType<typeof createModelRegistry>;

/** What the audit record says about a verification. */
function verificationDetail(v: ModelVerification): Record<string, unknown> {
  if ('unverified' in v) return { verification: 'unverified', note: v.unverified };
  const verification = v.verdict.agreed ? 'agreed' : 'disagreed';
  return { verification, engineId: v.verdict.engineId, maxAbsDiff: v.verdict.maxAbsDiff };
}
