/** Prisma ModelRepository (SQLite and PostgreSQL). */
import { ConflictError } from '../../../contract/errors.ts';
import { ModelCardSchema } from '../../../contract/models/card.ts';
import type { Db } from '../../db/database.ts';
import type { ModelRecord, ModelRepository } from '../model-repository.ts';
import { parseStored } from '../stored-json.ts';
import { isUniqueViolation } from './errors.ts';

type Row = Awaited<ReturnType<Db['modelArtifact']['findUniqueOrThrow']>>;

// Loose: keys beyond the card's (e.g. a signed verification verdict) are kept as stored.
const StoredCard = ModelCardSchema.loose();

function toRecord(r: Row): ModelRecord {
  return {
    id: r.id,
    name: r.name,
    version: r.version,
    sha256: r.sha256,
    bytes: r.bytes,
    featureSchemaVersion: r.featureSchemaVersion,
    card: parseStored(StoredCard, r.card, `model '${r.id}' card`),
    path: r.path,
    uploadedBy: r.uploadedBy,
    createdAt: r.createdAt,
  };
}

/** Builds the repository over a client. */
export function prismaModelRepository(db: Db): ModelRepository {
  return {
    async create(m) {
      try {
        return toRecord(await db.modelArtifact.create({ data: { ...m, card: m.card as object } }));
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError(`model '${m.id}' exists; bump the card version`, 'exists');
        throw err;
      }
    },
    async get(id) {
      const r = await db.modelArtifact.findUnique({ where: { id } });
      return r ? toRecord(r) : null;
    },
    async list() {
      return (
        await db.modelArtifact.findMany({ orderBy: [{ name: 'asc' }, { createdAt: 'desc' }, { id: 'asc' }] })
      ).map(toRecord);
    },
  };
}
