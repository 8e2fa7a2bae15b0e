/** The contract every ModelRepository passes (run by repositories.test.ts on SQLite and PostgreSQL). */
import assert from 'node:assert/strict';
import { ConflictError } from '../../contract/errors.ts';
import { contractCases, type OpenRepository } from './contract-support.ts';
import type { ModelRecord, ModelRepository } from './model-repository.ts';
import { StoredDataError } from './stored-json.ts';

const T0 = Date.parse('2030-01-01T00:00:00Z');

function model(name: string, version: string, s: number, extra: Record<string, unknown> = {}): ModelRecord {
  const sha256 = `${name}${version}`
    .padEnd(64, '0')
    .replace(/[^0-9a-f]/g, 'a')
    .slice(0, 64);
  const card = {
    name,
    version,
    description: 'test model',
    inputs: [{ name: 'x', dtype: 'float32' as const, shape: ['batch', 4] }],
    outputs: [{ name: 'y', dtype: 'float32' as const, shape: ['batch', 1] }],
    featureSchemaVersion: 'univariate',
    fittedOn: { dataset: 'synthetic' },
    quality: { metrics: { auc: 0.9 }, measuredWith: 'holdout' },
    opset: 17,
    sha256,
    bytes: 128,
    createdAt: '2030-01-01T00:00:00Z',
    ...extra,
  };
  return {
    id: `${name}@${version}`,
    name,
    version,
    sha256,
    bytes: 128,
    featureSchemaVersion: 'univariate',
    card,
    path: `/models/${sha256}.onnx`,
    uploadedBy: 'alice',
    createdAt: new Date(T0 + s * 1000),
  };
}

export function runModelRepositoryContract(
  backend: string,
  open: OpenRepository<ModelRepository>,
  skip: string | false = false,
): void {
  const t = contractCases('ModelRepository', backend, open, skip);

  t(
    'create/get round-trip the card (unknown card keys kept); duplicates conflict; list by name, newest first',
    async (r) => {
      const m = model('anomaly', '2', 1, { verification: { engine: 'onnxruntime', verdict: 'agrees' } });
      assert.deepEqual(await r.create(m), m);
      assert.deepEqual(await r.get('anomaly@2'), m);
      await assert.rejects(
        r.create(model('anomaly', '2', 5)),
        (e: unknown) => e instanceof ConflictError && e.reason === 'exists',
      );
      await r.create(model('anomaly', '1', 0));
      await r.create(model('disk', '1', 2));
      assert.deepEqual(
        (await r.list()).map((x) => x.id),
        ['anomaly@2', 'anomaly@1', 'disk@1'],
      );
      assert.equal(await r.get('nope@1'), null);
    },
  );

  t('a stored card that is not a model card is an error naming the model', async (r, sql) => {
    await r.create(model('anomaly', '1', 0));
    await sql(`UPDATE "ModelArtifact" SET "card" = '{"name":"anomaly"}' WHERE "id" = 'anomaly@1'`);
    await assert.rejects(
      r.get('anomaly@1'),
      (e: unknown) => e instanceof StoredDataError && /model 'anomaly@1' card/.test(e.message),
    );
  });
}
