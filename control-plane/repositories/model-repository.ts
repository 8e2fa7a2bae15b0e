/**
 * The model registry's records. The card crosses the wire (signed into the model manifest), so it is parsed with the
 * contract's ModelCardSchema on read; keys the schema does not know are kept (they may be signed too).
 */
import type { ModelCard } from '../../contract/models/card.ts';

export interface ModelRecord {
  /** `<name>@<version>`. */
  id: string;
  name: string;
  version: string;
  sha256: string;
  bytes: number;
  featureSchemaVersion: string;
  card: ModelCard & Record<string, unknown>;
  /** Where the file lives (data dir). */
  path: string;
  uploadedBy: string;
  createdAt: Date;
}

export interface ModelRepository {
  /** ConflictError (reason 'exists') when the id exists. */
  create(m: ModelRecord): Promise<ModelRecord>;
  get(id: string): Promise<ModelRecord | null>;
  /** By name, newest first within a name. */
  list(): Promise<ModelRecord[]>;
}
