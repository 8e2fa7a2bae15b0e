/**
 * The model registry: uploaded models are checked (model-check.ts), stored in the data dir under their sha256, and
 * recorded with their card. Artifact id = `<name>@<version>`; it is also the version label rollouts use.
 */
import { mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { ConflictError, NotFoundError } from '../../contract/errors.ts';
import type { Command } from '../../contract/protocol/index.ts';
import { modelCommand } from '../../contract/signing/bundle.ts';
import type { FleetContext } from './context.ts';
import { checkModel } from './model-check.ts';

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
}

/** Creates the registry. */
export function createModelRegistry(ctx: FleetContext, featureSchemas?: readonly string[]) {
  const view = (r: { id: string; name: string; version: string; sha256: string; bytes: number; featureSchemaVersion: string; card: unknown; uploadedBy: string; createdAt: Date }): ModelView => ({
    id: r.id, name: r.name, version: r.version, sha256: r.sha256, bytes: r.bytes, featureSchemaVersion: r.featureSchemaVersion, card: r.card as Record<string, unknown>, uploadedBy: r.uploadedBy, createdAt: r.createdAt.toISOString(),
  });
  const find = async (id: string) => {
    const r = await ctx.db.modelArtifact.findUnique({ where: { id } });
    if (!r) throw new NotFoundError('model', id);
    return r;
  };
  return {
    async upload(bytes: Uint8Array, card: unknown, actor: string): Promise<ModelView> {
      const c = await checkModel(bytes, card, featureSchemas);
      const id = `${c.name}@${c.version}`;
      if (await ctx.db.modelArtifact.findUnique({ where: { id } })) throw new ConflictError(`model '${id}' exists; bump the card version`, 'exists');
      mkdirSync(ctx.modelDir, { recursive: true, mode: 0o700 });
      const path = join(ctx.modelDir, `${c.sha256}.onnx`);
      writeFileSync(`${path}.tmp`, bytes, { mode: 0o600 });
      renameSync(`${path}.tmp`, path);
      const row = await ctx.db.modelArtifact.create({ data: { id, name: c.name, version: c.version, sha256: c.sha256, bytes: c.bytes, featureSchemaVersion: c.featureSchemaVersion, card: c as object, path, uploadedBy: actor, createdAt: new Date(ctx.now()) } });
      await ctx.audit.record({ actor: `user:${actor}`, actorType: 'user', action: 'model.uploaded', target: id, detail: { sha256: c.sha256, bytes: c.bytes } });
      return view(row);
    },
    async list(): Promise<ModelView[]> {
      return (await ctx.db.modelArtifact.findMany({ orderBy: [{ name: 'asc' }, { createdAt: 'desc' }] })).map(view);
    },
    async get(id: string): Promise<ModelView> {
      return view(await find(id));
    },
    /** The file bytes (after re-checking the stored hash). */
    async file(id: string): Promise<Buffer> {
      const r = await find(id);
      return readFileSync(r.path);
    },
    /** The signed `model` command for an artifact. */
    async command(id: string): Promise<Command> {
      const r = await find(id);
      return modelCommand({ modelId: r.id, name: r.name, version: r.version, sha256: r.sha256, bytes: r.bytes, url: `/api/models/${encodeURIComponent(r.id)}/file`, featureSchemaVersion: r.featureSchemaVersion, issuedAt: ctx.now(), card: r.card as Record<string, unknown> }, ctx.signingKey);
    },
  };
}
export type ModelRegistry = ReturnType<typeof createModelRegistry>;
